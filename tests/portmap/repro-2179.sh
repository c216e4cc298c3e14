#!/bin/sh
# Live reproduction of nerdctl issue #2179 inside a running nerdctl-dind wrapper.
#
# nerdctl 1.5.0 never checks whether an explicit host port (`-p 18179:80`) is
# already published by another container. The portmap plugin then appends a
# second DNAT rule for the same port behind the first, `nerdctl run` succeeds,
# and all traffic to the port still reaches the first container. Docker
# refuses the second container with "port is already allocated"; so does our
# build (nerdctl/patches/1.5.0/0002).
#
# usage: repro-2179.sh WRAPPER [IMAGE]
#   WRAPPER  name of the running wrapper container
#   IMAGE    busybox image in the inner containerd (default busybox:ndind)
# env:  NERDCTL     nerdctl inside the wrapper (default: nerdctl)
#       REPRO_ADDR  address the wrapper connects to (default: 127.0.0.1)
#       REPRO_CLIENT  wget, curl or inner (default: the first that the wrapper has)
#       REPRO_PORT  the host port both containers ask for (default: 18179);
#                   REPRO_PORT+1 must be free too
# exit: 0 nerdctl behaves; 1 the bug shows (a "FAIL: ..." line says how);
#       2 the check could not run (an "ERROR: ..." line says why).
set -eu

PORT=${REPRO_PORT:-18179}
FIRST=repro2179-first
SECOND=repro2179-second
. "$(dirname "$0")/common.sh"

main() {
	begin

	run_server "$FIRST" -p "$PORT:80" || error "nerdctl run $FIRST failed: $RUN_OUT"
	wait_inside "$FIRST" 80
	[ "$(fetch "$PORT")" = "$FIRST" ] ||
		error "$ADDR:$PORT does not reach $FIRST: the port is taken by something else, or port forwarding does not work in $WRAPPER"
	log "$ADDR:$PORT reaches $FIRST"

	# The second container asks for the same host port.
	if run_server "$SECOND" -p "$PORT:80"; then
		wait_inside "$SECOND" 80
		answer=$(fetch "$PORT")
		log "$ADDR:$PORT is answered by: ${answer:-nobody}"
		fail "nerdctl #2179: $SECOND was started with host port $PORT although $FIRST already publishes it; traffic to $ADDR:$PORT reaches ${answer:-nobody}"
	fi
	refusal=$RUN_OUT
	log "nerdctl refused $SECOND: $refusal"
	case $refusal in
	*"port is already allocated"*) ;;
	*) error "nerdctl run $SECOND failed, but not with \"port is already allocated\"" ;;
	esac
	[ "$(fetch "$PORT")" = "$FIRST" ] || fail "after the refusal, $ADDR:$PORT no longer reaches $FIRST"

	# The refusal is about that port only: the next one is granted.
	nerdctl_in rm -f "$SECOND" >/dev/null 2>&1 || true
	next=$((PORT + 1))
	run_server "$SECOND" -p "$next:80" || fail "nerdctl refused the free host port $next for $SECOND: $RUN_OUT"
	wait_inside "$SECOND" 80
	answer=$(fetch "$next")
	[ "$answer" = "$SECOND" ] || fail "traffic to $SECOND's host port $ADDR:$next reaches ${answer:-nobody}"
	log "PASS: host port $PORT, held by $FIRST, was refused to $SECOND (\"port is already allocated\"); $next reaches $SECOND"
}

main
