#!/bin/sh
# One at a time: runs COMMAND holding the lock NAME, so two `make up` of one
# stack, or two toolchain runs, never interleave. When another run holds it,
# says which (what, pid, since when) and waits for it to end. The lock is the
# kernel's (flock on a file in $NDIND_CACHE/locks), so a holder killed with
# SIGKILL leaves nothing to clear.
# Usage: lock.sh NAME WHAT -- COMMAND...   (WHAT: how the holder is named to a waiter)
set -eu
. "$(dirname "$0")/lib.sh"

name=${1:?usage: lock.sh NAME WHAT -- COMMAND...}
what=${2:?usage: lock.sh NAME WHAT -- COMMAND...}
shift 2
[ "${1:-}" = -- ] || die "usage: lock.sh NAME WHAT -- COMMAND..."
shift
command -v flock >/dev/null || die "flock is missing: install util-linux"

mkdir -p "$NDIND_CACHE/locks"
lock=$NDIND_CACHE/locks/$(printf '%s' "$name" | cksum | cut -d' ' -f1).lock
# Held on this shell's descriptor 8, which COMMAND does not get: what it
# leaves running (the stack's forwarder) does not keep the lock.
exec 8>>"$lock"
if ! flock -n 8; then
	log "$name: $(cat "$lock.who" 2>/dev/null || echo 'another run') holds it; waiting for it to end"
	from=$(date +%s)
	flock 8
	log "$name: waited $(($(date +%s) - from)) s; $what goes on"
fi
echo "$what (pid $$, since $(date -u +%H:%M:%S) UTC)" >"$lock.who"
"$@" 8>&- && rc=0 || rc=$?
exit "$rc"
