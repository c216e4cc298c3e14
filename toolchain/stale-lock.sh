#!/bin/sh
# Run before every verb that updates a stack (make stack): a lock that a
# pulumi killed mid-update left behind (SIGKILL, a closed lid, an OOM kill, a
# dropped ssh session) would stop every later verb of the stack with "the
# stack is currently locked". A lock of this machine whose process no longer
# runs is cleared, saying whose it was and since when; a live one, or one of
# another machine, is left alone, with the command that clears it.
# Only file:// backends (the Makefile's default) keep their locks where this
# can read them. Usage: stale-lock.sh STACK
set -eu
. "$(dirname "$0")/lib.sh"

stack=$1
case ${PULUMI_BACKEND_URL:-} in file://*) ;; *) exit 0 ;; esac
root=${PULUMI_BACKEND_URL#file://}
root=${root%%\?*}
project=$(sed -n 's/^name: *//p' "$NDIND_ROOT/Pulumi.yaml")
dir=$root/.pulumi/locks/organization/$project/$stack
[ -d "$dir" ] || exit 0

field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2"; }
clear_cmd="eval \"\$(make env)\" && pulumi cancel --yes --stack $stack"
for lock in "$dir"/*.json; do
	[ -f "$lock" ] || continue
	pid=$(field pid "$lock") user=$(field username "$lock") host=$(field hostname "$lock") since=$(field timestamp "$lock")
	who="$user@$host (pid $pid, since ${since%.*}Z)"
	if [ "$host" != "$(hostname)" ]; then
		warn "stack $stack is locked by $who, another machine; if no update of it runs there: $clear_cmd"
	elif ps -p "$pid" -o comm= 2>/dev/null | grep -q pulumi; then
		warn "stack $stack is being updated by $who; this verb waits for nothing: run it again when that one ends, or stop it ($clear_cmd once it is gone)"
	else
		rm -f "$lock" "$lock.attrs"
		log "stack $stack: cleared the lock of $who: that pulumi no longer runs (killed mid-update?); the next up puts right what it left half done"
	fi
done
