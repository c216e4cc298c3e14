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
# build (nerdctl/patches/1.5.0/0003), and `nerdctl start` gives the ports back.
#
# usage: repro-2699.sh WRAPPER [IMAGE]
#   WRAPPER  name of the running wrapper container
#   IMAGE    busybox image in the inner containerd (default busybox:ndind)
# env:  NERDCTL     nerdctl inside the wrapper (default: nerdctl)
#       REPRO_ADDR  address the wrapper connects to (default: 127.0.0.1)
#       REPRO_CLIENT  wget, curl or inner (default: the first that the wrapper has)
#       REPRO_PORT  host port of the kill case (default: 18699); the stop and
#                   exit cases use REPRO_PORT+1 and REPRO_PORT+2
# exit: 0 nerdctl behaves; 1 the bug shows (a "FAIL: ..." line per case says how);
#       2 the check could not run (an "ERROR: ..." line says why).
set -eu

PORT=${REPRO_PORT:-18699}
FIRST=repro2699-killed
SECOND=repro2699-after-kill
MORE="repro2699-stopped repro2699-after-stop repro2699-exited repro2699-after-exit"
. "$(dirname "$0")/common.sh"

# run_old NAME PORT: the server whose end is tested. Its main process exits by
# itself once /www/exit exists (the signal-free way for a container's init to
# end); until then it serves its name on port 80 like run_server.
run_old() {
	log "nerdctl run -d --name $1 -p $2:80"
	nerdctl_in run -d --name "$1" -p "$2:80" "$IMAGE" busybox sh -c "
		busybox mkdir -p /www && echo $1 >/www/index.html && busybox httpd -p 80 -h /www &&
		until [ -e /www/exit ]; do busybox sleep 1; done" >/dev/null || error "nerdctl run $1 failed"
	wait_inside "$1" 80
	[ "$(fetch "$2")" = "$1" ] ||
		error "$ADDR:$2 does not reach $1: the port is taken by something else, or port forwarding does not work in $WRAPPER"
	log "$ADDR:$2 reaches $1"
}

# end_old NAME HOW: kill, stop, or exit (the main process ends by itself).
end_old() {
	case $2 in
	kill) log "nerdctl kill $1" && nerdctl_in kill "$1" >/dev/null ;;
	# -t 1: the sh as PID 1 ignores SIGTERM, so stop goes on to SIGKILL after 1 s.
	stop) log "nerdctl stop -t 1 $1" && nerdctl_in stop -t 1 "$1" >/dev/null ;;
	exit)
		log "telling $1's main process to exit"
		nerdctl_in exec "$1" busybox touch /www/exit
		i=0
		until [ "$(nerdctl_in inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = exited ]; do
			i=$((i + 1))
			[ "$i" -lt 20 ] || error "$1 did not exit"
			sleep 1
		done
		;;
	esac || error "could not $2 $1"
}

# handover HOW OLD NEW PORT: OLD holds PORT and ends by HOW; NEW asks for PORT,
# which must be granted and reach NEW.
handover() {
	run_old "$2" "$4"
	end_old "$2" "$1"
	if ! run_server "$3" -p "$4:80"; then
		problem "nerdctl #2699: after $1 of $2, nerdctl refused host port $4 to $3: $RUN_OUT"
		return
	fi
	wait_inside "$3" 80
	answer=$(fetch "$4")
	if [ "$answer" != "$3" ]; then
		problem "nerdctl #2699: after $1 of $2, $3 was given host port $4; traffic to $ADDR:$4 reaches ${answer:-nobody}, not $3"
		return
	fi
	log "after $1 of $2, $ADDR:$4 reaches $3"
}

# restart: a stopped container gets its port back on start once the port is
# free, and is refused while another container holds it.
restart() {
	nerdctl_in rm -f "$SECOND" >/dev/null
	log "nerdctl start $FIRST"
	out=$(nerdctl_in start "$FIRST" 2>&1) || fail "nerdctl start $FIRST failed: $out"
	wait_inside "$FIRST" 80
	answer=$(fetch "$PORT")
	[ "$answer" = "$FIRST" ] || fail "after nerdctl start $FIRST, traffic to $ADDR:$PORT reaches ${answer:-nobody}"
	log "$ADDR:$PORT reaches $FIRST again"
	log "nerdctl start repro2699-stopped, while repro2699-after-stop holds $((PORT + 1))"
	if out=$(nerdctl_in start repro2699-stopped 2>&1); then
		fail "nerdctl start repro2699-stopped was accepted although repro2699-after-stop holds host port $((PORT + 1))"
	fi
	case $out in
	*"port is already allocated"*) log "nerdctl refused to start repro2699-stopped: $out" ;;
	*) fail "nerdctl start repro2699-stopped failed, but not with \"port is already allocated\": $out" ;;
	esac
	answer=$(fetch $((PORT + 1)))
	[ "$answer" = repro2699-after-stop ] || fail "after the refused start, $ADDR:$((PORT + 1)) reaches ${answer:-nobody}"
}

main() {
	begin
	handover kill "$FIRST" "$SECOND" "$PORT"
	handover stop repro2699-stopped repro2699-after-stop $((PORT + 1))
	handover exit repro2699-exited repro2699-after-exit $((PORT + 2))
	finish
	restart
	log "PASS: host ports $PORT-$((PORT + 2)) were free again at once after nerdctl kill, nerdctl stop and an exit by itself; nerdctl start gave $FIRST its port back, and refused repro2699-stopped the port another container held"
}

main
