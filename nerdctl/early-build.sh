#!/bin/sh
# make up's head start on an edited nerdctl/src: the nerdctl component is
# built while make stack runs and Pulumi starts, about a second before the
# program's bundle step asks for it, so the edit loop pays for the Go build
# and for Pulumi's start side by side, not one after the other. The bundle
# step's own build.sh waits for this build (build.sh builds a component
# once at a time) and finds it done. Nothing is decided here: the stack's
# settings are the bundle step's, and this build's failure is left for that
# step to report, so its log goes to $NDIND_CACHE/build/early-build.log.
#   early-build.sh STACK    start it (make up runs this in the background)
#   early-build.sh --wait   return when it has ended (make up's last step)
set -eu
. "$(dirname "$0")/../toolchain/lib.sh"
lock=$NDIND_CACHE/build/.early-build.lock
mkdir -p "$NDIND_CACHE/build"
[ "${1:?usage: early-build.sh STACK | --wait}" != --wait ] || exec flock "$lock" true
src=${NDIND_NERDCTL_SRC:-$NDIND_ROOT/nerdctl/src}
[ -f "$src/.git/ndind-base" ] || exit 0
# A stack that builds nerdctl as released, or from the patch files, does not
# use nerdctl/src: its build would only take a core from Pulumi.
! grep -Eq '^ *nerdctl-dind:nerdctlPatches: *"?false' "$(stack_file "$1")" 2>/dev/null || exit 0
log "nerdctl/src: building nerdctl while Pulumi starts (log: $NDIND_CACHE/build/early-build.log)"
NERDCTL_VERSION=$(cut -d' ' -f1 "$src/.git/ndind-base") \
	flock "$lock" sh "$NDIND_ROOT/nerdctl/build.sh" --nerdctl-only >"$NDIND_CACHE/build/early-build.log" 2>&1 </dev/null || :
