#!/bin/sh
# Builds the `command` resource provider plugin pinned by @pulumi/command and
# installs it into Pulumi's plugin cache, so `pulumi up` needs no download.
# Needs the CLI from toolchain/pulumi-cli.sh.
set -eu
. "$(dirname "$0")/lib.sh"

VER=$(npm_pin @pulumi/command)
MODULE=github.com/pulumi/pulumi-command/provider
# The provider module has no Go tags: a release is addressed by the
# pseudo-version of its release commit (commit time in UTC, short hash).
case $VER in
1.2.1) PSEUDO=v0.0.0-20260303235922-7f3eb6f3b77c ;;
*) die "no known release commit for @pulumi/command $VER: add its pseudo-version here" ;;
esac
# The module proxy on these machines does not serve that version; a stand-in
# provider kept in the project (serving command:local:Command) is built instead
# when its source is present.
STANDIN=${COMMAND_PROVIDER_SRC:-$NDIND_ROOT/toolchain/command-provider}

OUT=$NDIND_CACHE/providers/command/v$VER
BIN=$OUT/pulumi-resource-command
PULUMI_BIN=$NDIND_CACHE/pulumi/v$(npm_pin @pulumi/pulumi)/bin
[ -x "$PULUMI_BIN/pulumi" ] || die "no pulumi CLI in $PULUMI_BIN: run toolchain/pulumi-cli.sh first"
PATH=$PULUMI_BIN:$PATH

standin_id() {
	[ -f "$STANDIN/go.mod" ] || return 0
	echo "$VER stand-in $(cat "$STANDIN"/go.mod "$STANDIN"/go.sum "$STANDIN"/*.go | sha256sum | cut -c1-16)"
}

build_upstream() {
	log "building $MODULE@$PSEUDO as $VER"
	# Its go.mod has no replace lines, so go install builds it as is.
	GOBIN=$OUT/gobin go install -trimpath -ldflags "-X $MODULE/pkg/version.Version=$VER" \
		"$MODULE/cmd/pulumi-resource-command@$PSEUDO" || return 1
	mv "$OUT/gobin/pulumi-resource-command" "$BIN"
	rmdir "$OUT/gobin"
	echo "$VER upstream $PSEUDO" >"$BIN.version"
}

build_standin() {
	id=$(standin_id)
	[ -n "$id" ] || return 1
	warn "upstream provider not available; building the stand-in in $STANDIN"
	(cd "$STANDIN" && go build -trimpath -ldflags "-X main.version=$VER" -o "$BIN.new" .)
	mv "$BIN.new" "$BIN"
	echo "$id" >"$BIN.version"
}

# A marker beside the binary records what it was built from.
built=$(cat "$BIN.version" 2>/dev/null || true)
if [ -x "$BIN" ] && [ -n "$built" ] && { [ "$built" = "$VER upstream $PSEUDO" ] || [ "$built" = "$(standin_id)" ]; }; then
	log "pulumi-resource-command already built ($built): $BIN"
else
	mkdir -p "$OUT"
	build_upstream || build_standin ||
		die "could not build $MODULE@$PSEUDO (not served by the Go module proxy?) and no stand-in source in $STANDIN"
fi

# Compared by content, so a rebuilt binary is installed again.
PLUGIN=${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-command-v$VER/pulumi-resource-command
if cmp -s "$BIN" "$PLUGIN" && pulumi plugin ls | awk -v v="$VER" '$1 == "command" && $2 == "resource" && $3 == v { f = 1 } END { exit !f }'; then
	log "plugin resource command $VER already installed"
else
	log "installing plugin resource command $VER from $BIN"
	pulumi plugin install resource command "$VER" --file "$BIN" --reinstall
fi
