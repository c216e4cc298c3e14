#!/bin/sh
# Live reproduction: host ports that a server of the wrapper itself listens on.
#
# nerdctl does not bind the host ports it publishes; the portmap plugin writes
# DNAT rules. nerdctl 1.5.0 never looks at the sockets listening in its network
# namespace for an explicit host port, so `nerdctl run -p 18600:80` next to a
# server on the host network listening on 18600 is started, and the new rules
# take that server's traffic. Its automatic ports (`-p 0.0.0.0::80`) also skip
# only listeners on the very same address, so a port a server listens on at
# 127.0.0.1 can be handed out. Docker refuses ("address already in use");
# upstream refuses since v2.1.3 (PR #4097, "port is already allocated"); so
# does our build (nerdctl/patches/1.5.0/0004), naming the process. A refusal
# in any words that name the port passes; the PASS line says whose.
#
# usage: repro-host-socket.sh WRAPPER [IMAGE]
#   WRAPPER  name of the running wrapper container
#   IMAGE    busybox image in the inner containerd (default busybox:ndind)
# env:  NERDCTL     nerdctl inside the wrapper (default: nerdctl)
#       REPRO_ADDR  address the wrapper connects to (default: 127.0.0.1)
#       REPRO_CLIENT  wget, curl or inner (default: the first that the wrapper has)
#       REPRO_PORT  the port the host server listens on (default: 18600)
# exit: 0 nerdctl behaves; 1 the bug shows (a "FAIL: ..." line says how);
#       2 the check could not run (an "ERROR: ..." line says why).
set -eu

PORT=${REPRO_PORT:-18600}
FIRST=reprohost-server
SECOND=reprohost-published
PROBE=reprohost-probe
LOCAL=reprohost-local
AUTO=reprohost-auto
MORE="$PROBE $LOCAL $AUTO"
. "$(dirname "$0")/common.sh"

# run_host_server NAME [IP:]PORT: busybox httpd on the wrapper's own network,
# serving its name; waits until it answers on ADDR:PORT.
run_host_server() {
	log "nerdctl run -d --name $1 --network host (httpd on $2)"
	nerdctl_in run -d --name "$1" --network host "$IMAGE" busybox sh -c "
		busybox mkdir -p /www && echo $1 >/www/index.html && exec busybox httpd -f -p $2 -h /www" >/dev/null ||
		error "nerdctl run $1 failed"
	port=${2##*:}
	i=0
	until [ "$(fetch "$port")" = "$1" ]; do
		i=$((i + 1))
		[ "$i" -lt 10 ] || error "$1 does not answer on $ADDR:$port: the port is taken by something else"
	done
	log "$ADDR:$port reaches $1 (host network)"
}

# host_port NAME PORT: the host port nerdctl lists for NAME's PORT/tcp.
host_port() {
	listing=$(nerdctl_in port "$1" "$2/tcp") || error "nerdctl port $1 $2/tcp failed"
	echo "${listing##*:}"
}

# explicit_port: an explicit host port that a host server listens on.
explicit_port() {
	run_host_server "$FIRST" "$PORT"
	if run_server "$SECOND" -p "$PORT:80"; then
		wait_inside "$SECOND" 80
		answer=$(fetch "$PORT")
		log "$ADDR:$PORT is answered by: ${answer:-nobody}"
		problem "$SECOND was started with host port $PORT although $FIRST listens on it; traffic to $ADDR:$PORT reaches ${answer:-nobody}"
		return
	fi
	log "nerdctl refused $SECOND: $RUN_OUT"
	# Our patch's words name the process; other releases refuse in their own.
	case $RUN_OUT in
	*"address already in use"*"listening on"*":$PORT (process "*) words='"address already in use", with the process' ;;
	*"$PORT"*) words="in the release's own words, naming the port" ;;
	*) fail "nerdctl run $SECOND failed, but its message does not name port $PORT" ;;
	esac
	[ "$(fetch "$PORT")" = "$FIRST" ] || fail "after the refusal, $ADDR:$PORT no longer reaches $FIRST"
}

# automatic_port: the first port nerdctl would hand out gets a host server on
# 127.0.0.1, then a container asks for an automatic port on 0.0.0.0.
automatic_port() {
	run_server "$PROBE" -p 0.0.0.0::80 || error "nerdctl run $PROBE failed: $RUN_OUT"
	next=$(host_port "$PROBE" 80)
	nerdctl_in rm -f "$PROBE" >/dev/null
	run_host_server "$LOCAL" "127.0.0.1:$next"
	run_server "$AUTO" -p 0.0.0.0::80 || error "nerdctl run $AUTO failed: $RUN_OUT"
	wait_inside "$AUTO" 80
	auto=$(host_port "$AUTO" 80)
	log "$AUTO: 80/tcp on host port $auto"
	if [ "$auto" = "$next" ]; then
		answer=$(fetch "$next")
		problem "$AUTO was given host port $next, on which $LOCAL listens at 127.0.0.1; traffic to $ADDR:$next reaches ${answer:-nobody}"
		return
	fi
	answer=$(fetch "$auto")
	[ "$answer" = "$AUTO" ] || fail "traffic to $AUTO's host port $ADDR:$auto reaches ${answer:-nobody}"
	[ "$(fetch "$next")" = "$LOCAL" ] || fail "$ADDR:$next no longer reaches $LOCAL"
}

main() {
	begin
	explicit_port
	automatic_port
	finish
	log "PASS: host port $PORT, where $FIRST listens, was refused to $SECOND ($words); the automatic port $auto avoided $next, where $LOCAL listens"
}

main
