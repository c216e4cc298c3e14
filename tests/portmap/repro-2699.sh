#!/bin/sh
# Live reproduction of nerdctl issue #2699 inside a running nerdctl-dind wrapper.
#
# nerdctl 1.5.0 removes a container's port forwarding rules in the OCI postStop
# hook, which runs only when the task is deleted (`nerdctl rm`, the next
# `nerdctl start`). `nerdctl kill`, `nerdctl stop`, or a main process that
# exits by itself leave the task stopped but not deleted, so the dead
# container keeps its DNAT rules: a new container given the same host port is
# started, but the older rule wins and its traffic goes to a dead address.
# (With our patch 0002 alone the port is refused, named after the dead
# container.) Docker frees the port when the container stops; so does our
# build (nerdctl/patches/0003), and `nerdctl start` gives the ports back.
#
# usage: repro-2699.sh WRAPPER [IMAGE]
#   WRAPPER  name of the running wrapper container
#   IMAGE    busybox image in the inner containerd (default busybox:ndind)
# env:  NERDCTL     nerdctl inside the wrapper (default: nerdctl)
#       REPRO_ADDR  address the wrapper connects to (default: 127.0.0.1)
#       REPRO_CLIENT  wget, curl or inner (default: the first that the wrapper has)
#       REPRO_PORT  the host port all containers ask for (default: 18699)
# exit: 0 nerdctl behaves; 1 the bug shows (a "FAIL: ..." line says how);
#       2 the check could not run (an "ERROR: ..." line says why).
set -eu

PORT=${REPRO_PORT:-18699}
FIRST=repro2699-killed
SECOND=repro2699-stopped
EXITED=repro2699-exited
LAST=repro2699-last
MORE="$EXITED $LAST"
. "$(dirname "$0")/common.sh"

# expect_answer NAME: traffic to PORT must reach NAME, else "FAIL: WHY".
expect_answer() {
	answer=$(fetch "$PORT")
	[ "$answer" = "$1" ] || fail "$2; traffic to $ADDR:$PORT reaches ${answer:-nobody}, not $1"
	log "$ADDR:$PORT reaches $1"
}

# take_port NAME WHEN: NAME asks for PORT, which a container gave up WHEN;
# nerdctl must start it and the port must reach it.
take_port() {
	run_server "$1" -p "$PORT:80" ||
		fail "nerdctl #2699: $2, nerdctl refused host port $PORT to $1: $RUN_OUT"
	wait_inside "$1" 80
	expect_answer "$1" "nerdctl #2699: $2, $1 was given host port $PORT"
}

# run_exiting_server NAME: a server on PORT whose main process exits by itself
# once /www/exit exists (the signal-free way for a container's init to end).
run_exiting_server() {
	log "nerdctl run -d --name $1 -p $PORT:80 (exits when told to)"
	nerdctl_in run -d --name "$1" -p "$PORT:80" "$IMAGE" busybox sh -c "
		busybox mkdir -p /www && echo $1 >/www/index.html && busybox httpd -p 80 -h /www &&
		until [ -e /www/exit ]; do busybox sleep 1; done" >/dev/null ||
		fail "nerdctl #2699: after $SECOND was stopped, nerdctl refused host port $PORT to $1"
	wait_inside "$1" 80
	expect_answer "$1" "nerdctl #2699: after $SECOND was stopped, $1 was given host port $PORT"
}

# wait_exited NAME: until nerdctl reports NAME's task as exited.
wait_exited() {
	i=0
	until [ "$(nerdctl_in inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = exited ]; do
		i=$((i + 1))
		[ "$i" -lt 20 ] || error "$1 did not exit"
		sleep 1
	done
}

main() {
	begin

	run_server "$FIRST" -p "$PORT:80" || error "nerdctl run $FIRST failed: $RUN_OUT"
	wait_inside "$FIRST" 80
	[ "$(fetch "$PORT")" = "$FIRST" ] ||
		error "$ADDR:$PORT does not reach $FIRST: the port is taken by something else, or port forwarding does not work in $WRAPPER"
	log "$ADDR:$PORT reaches $FIRST"

	log "nerdctl kill $FIRST"
	nerdctl_in kill "$FIRST" >/dev/null || error "nerdctl kill $FIRST failed"
	take_port "$SECOND" "after nerdctl kill $FIRST"

	# -t 1: httpd as PID 1 ignores SIGTERM, so stop goes on to SIGKILL after 1 s.
	log "nerdctl stop -t 1 $SECOND"
	nerdctl_in stop -t 1 "$SECOND" >/dev/null || error "nerdctl stop $SECOND failed"
	run_exiting_server "$EXITED"

	log "telling $EXITED's main process to exit"
	nerdctl_in exec "$EXITED" busybox touch /www/exit || error "nerdctl exec $EXITED failed"
	wait_exited "$EXITED"
	take_port "$LAST" "after $EXITED's task exited by itself"

	# A stopped container gets its port back on start, once the port is free,
	# and is refused while another container holds it.
	nerdctl_in rm -f "$LAST" >/dev/null
	log "nerdctl start $FIRST"
	out=$(nerdctl_in start "$FIRST" 2>&1) || fail "nerdctl start $FIRST failed: $out"
	wait_inside "$FIRST" 80
	expect_answer "$FIRST" "after nerdctl start $FIRST"
	log "nerdctl start $SECOND, while $FIRST holds $PORT"
	if out=$(nerdctl_in start "$SECOND" 2>&1); then
		fail "nerdctl start $SECOND was accepted although $FIRST holds host port $PORT"
	fi
	case $out in
	*"port is already allocated"*) log "nerdctl refused to start $SECOND: $out" ;;
	*) fail "nerdctl start $SECOND failed, but not with \"port is already allocated\": $out" ;;
	esac
	expect_answer "$FIRST" "after the refused start of $SECOND"
	log "PASS: host port $PORT was free again at once after nerdctl kill, nerdctl stop and an exit by itself, and came back to $FIRST on nerdctl start"
}

main
