#!/bin/sh
# `make repro-table`: the network reproductions (tests/portmap/repro-*.sh) on
# several builds, one after the other in one throwaway stack (a change of
# build replaces the wrapper and keeps busybox), and one table of the
# results: case x build, "bug present" or "fixed", then the FAIL line of each
# bug seen. Exit 1 if a reproduction could not run somewhere.
#   REPRO_BUILDS  labels from the list below, in order; default:
#                 "1.5.0 1.5.0-patched 2.1.3"
#   REPRO_RUNS    passed on (repro-1872.sh: containers run with --rm)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../toolchain/lib.sh"
cd "$NDIND_ROOT"

# LABEL: the settings of that build (nerdctl containerd runc cni patches),
# each nerdctl 2.x as its own Dockerfile pins the rest.
build_settings() {
	case $1 in
	1.5.0) echo "1.5.0 1.7.2 1.1.7 1.3.0 false" ;;
	1.5.0-patched) echo "1.5.0 1.7.2 1.1.7 1.3.0 true" ;;
	2.0.5) echo "2.0.5 2.0.5 1.3.0 1.7.1 true" ;;
	2.1.3) echo "2.1.3 2.1.3 1.3.0 1.7.1 true" ;;
	2.2.0) echo "2.2.0 2.2.0 1.3.3 1.8.0 true" ;;
	*) die "REPRO_BUILDS: no build '$1'; give some of 1.5.0 1.5.0-patched 2.0.5 2.1.3 2.2.0" ;;
	esac
}
# LABEL: the column's title; patches on and a series for that release.
column_title() {
	# shellcheck disable=SC2046 # five words
	set -- $(build_settings "$1")
	if [ "$5" = true ] && [ -d "$NDIND_ROOT/nerdctl/patches/$1" ]; then echo "$1 + our patches"; else echo "$1 as released"; fi
}
case_title() {
	case $1 in
	repro-2537.sh) echo "#2537 automatic host ports collide" ;;
	repro-2179.sh) echo "#2179 a published host port is given again" ;;
	repro-2699.sh) echo "#2699 kill, stop or exit keeps the port" ;;
	repro-host-socket.sh) echo "a port a wrapper server listens on is given" ;;
	repro-1872.sh) echo "#1872 removed containers leave masquerade chains" ;;
	repro-prune.sh) echo "a pruned network leaves a stopped container's masquerade rule" ;;
	*) echo "$1" ;;
	esac
}

BUILDS=${REPRO_BUILDS:-1.5.0 1.5.0-patched 2.1.3}
for b in $BUILDS; do build_settings "$b" >/dev/null; done

throwaway_stack repro-table
cleanup() { remove_throwaway_stack; }
trap cleanup EXIT

mkdir -p "$WORK/results"
pulumi stack init "$STACK" >/dev/null
$PULUMI config set baseImage nerdctl-dind/base:bookworm
$PULUMI config set plugins "${PROVIDER:-ndind}"
# Not needed by the reproductions; leaving it out spares building BuildKit.
$PULUMI config set buildkit false
$PULUMI config set --type string --path 'preload[0]' "$NDIND_CACHE/images/busybox.tar"

for b in $BUILDS; do
	# shellcheck disable=SC2046 # five words
	set -- $(build_settings "$b")
	$PULUMI config set nerdctlVersion "$1"
	$PULUMI config set containerdVersion "$2"
	$PULUMI config set runcVersion "$3"
	$PULUMI config set cniPluginsVersion "$4"
	$PULUMI config set nerdctlPatches "$5"
	log "pulumi up of $STACK: $(column_title "$b") (containerd $2, runc $3, CNI plugins $4)"
	$PULUMI up --yes --skip-preview >"$WORK/up-$b.log" 2>&1 || { tail -n 30 "$WORK/up-$b.log" >&2; die "pulumi up of $STACK ($b) failed"; }
	log "  $($PULUMI stack output nerdctlBuild)"
	for repro in "$here"/repro-*.sh; do
		r=$(basename "$repro")
		rc=0
		timeout 600 sh "$repro" "$WRAPPER" busybox:ndind >"$WORK/results/$b.$r.log" 2>&1 || rc=$?
		case $rc in
		0) cell=fixed ;;
		1) cell="bug present" ;;
		*) cell="could not run (exit $rc)" ;;
		esac
		echo "$cell" >"$WORK/results/$b.$r"
		log "  $r: $cell"
	done
done

# The table (Markdown, as docs/port-mapping.md carries it), then the FAIL and
# ERROR lines that say how each bug showed.
printf '\n| case |'
for b in $BUILDS; do printf ' %s |' "$(column_title "$b")"; done
printf '\n|---|'
for b in $BUILDS; do printf -- '---|'; done
echo
unrunnable=0
for repro in "$here"/repro-*.sh; do
	r=$(basename "$repro")
	printf '| %s |' "$(case_title "$r")"
	for b in $BUILDS; do
		cell=$(cat "$WORK/results/$b.$r")
		case $cell in could*) unrunnable=$((unrunnable + 1)) ;; esac
		printf ' %s |' "$cell"
	done
	echo
done
echo
for b in $BUILDS; do
	for repro in "$here"/repro-*.sh; do
		r=$(basename "$repro")
		grep -h -e 'FAIL: ' -e 'ERROR: ' "$WORK/results/$b.$r.log" 2>/dev/null | sed "s/^.*>>> /- $(column_title "$b"), $r: /" || :
	done
done
[ "$unrunnable" -eq 0 ] || die "$unrunnable reproductions could not run (their ERROR lines above)"
