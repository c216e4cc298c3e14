#!/bin/sh
# `make repro-unpatched`: brings up a throwaway stack with nerdctl 1.5.0 as
# released (nerdctlPatches=false) and runs each reproduction in it. Succeeds
# when every reproduction shows its bug (exit 1 with a FAIL line), i.e. when
# the bugs our patches fix are really there without them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../toolchain/lib.sh"
cd "$NDIND_ROOT"

STACK="repro-unpatched"
PULUMI="pulumi --non-interactive --stack $STACK"

cleanup() {
	log "removing stack $STACK and its storage"
	$PULUMI destroy --yes --skip-preview >/dev/null 2>&1 || :
	pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || :
	rm -rf "lib/$STACK" "$(stack_file "$STACK")"
}
trap cleanup EXIT

cleanup
pulumi stack init "$STACK" >/dev/null
$PULUMI config set baseImage nerdctl-dind/base:bookworm
$PULUMI config set plugins "${PROVIDER:-ndind}"
$PULUMI config set nerdctlPatches false
$PULUMI config set --type string --path 'preload[0]' "$NDIND_CACHE/images/busybox.tar"
log "pulumi up of $STACK (unpatched nerdctl)"
$PULUMI up --yes --skip-preview >/dev/null

shown=0
for repro in "$here"/repro-*.sh; do
	log "running $(basename "$repro") against the unpatched build"
	rc=0
	sh "$repro" "nerdctl-dind-$STACK" busybox:ndind || rc=$?
	case $rc in
	1) shown=$((shown + 1)) ;;
	0) warn "$(basename "$repro"): the bug did not show on the unpatched build" ;;
	*) warn "$(basename "$repro"): could not run (exit $rc)" ;;
	esac
done
total=$(ls "$here"/repro-*.sh | wc -l)
log "unpatched nerdctl: $shown of $total reproductions show their bug"
[ "$shown" -eq "$total" ]
