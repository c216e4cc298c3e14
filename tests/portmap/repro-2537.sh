#!/bin/sh
# Live reproduction of nerdctl issue #2537 inside a running nerdctl-dind wrapper.
#
# For `-p 80` (no host port) nerdctl 1.5.0 picks a free host port and treats
# as taken the ports named by the CNI-HOSTPORT-DNAT rules. The portmap plugin
# writes ONE rule per container and protocol, `--dports 49153,49154`, and
# nerdctl read only the first port of that list. So once a container
# publishes two ports, the next container is given the first one's second
# host port; the older DNAT rule matches first, and the traffic meant for the
# new container reaches the old one. Fixed by nerdctl/patches/1.5.0/0001.
#
# usage: repro-2537.sh WRAPPER [IMAGE]
#   WRAPPER  name of the running wrapper container
#   IMAGE    busybox image in the inner containerd (default busybox:ndind)
# env:  NERDCTL     nerdctl inside the wrapper (default: nerdctl)
#       REPRO_ADDR  address the wrapper connects to (default: 127.0.0.1)
#       REPRO_CLIENT  wget, curl or inner (default: the first that the wrapper has)
# exit: 0 nerdctl behaves; 1 the bug shows (a "FAIL: ..." line says how);
#       2 the check could not run (an "ERROR: ..." line says why).
set -eu

FIRST=repro2537-first
SECOND=repro2537-second
. "$(dirname "$0")/common.sh"

# host_port NAME PORT: the host port nerdctl lists for NAME's PORT/tcp.
host_port() {
	listing=$(nerdctl_in port "$1" "$2/tcp") || error "nerdctl port $1 $2/tcp failed"
	echo "${listing##*:}"
}

main() {
	begin

	# The first container publishes two ports, both with automatic host ports.
	run_server "$FIRST" -p 80 -p 81 || error "nerdctl run $FIRST failed: $RUN_OUT"
	wait_inside "$FIRST" 80
	wait_inside "$FIRST" 81
	first80=$(host_port "$FIRST" 80)
	first81=$(host_port "$FIRST" 81)
	log "$FIRST: 80/tcp on host port $first80, 81/tcp on host port $first81"
	for port in "$first80" "$first81"; do
		[ "$(fetch "$port")" = "$FIRST" ] ||
			error "$ADDR:$port does not reach $FIRST: port forwarding does not work in $WRAPPER"
	done

	# The second container asks for one automatic host port.
	run_server "$SECOND" -p 80 || error "nerdctl run $SECOND failed: $RUN_OUT"
	wait_inside "$SECOND" 80
	second80=$(host_port "$SECOND" 80)
	log "$SECOND: 80/tcp on host port $second80"

	answer=$(fetch "$second80")
	log "$ADDR:$second80 is answered by: ${answer:-nobody}"
	if [ "$second80" = "$first80" ] || [ "$second80" = "$first81" ]; then
		fail "nerdctl #2537: $SECOND was given host port $second80, which $FIRST already publishes; traffic to $ADDR:$second80 reaches ${answer:-nobody}, not $SECOND"
	fi
	[ "$answer" = "$SECOND" ] ||
		fail "traffic to $SECOND's host port $ADDR:$second80 reaches ${answer:-nobody}"
	for port in "$first80" "$first81"; do
		answer=$(fetch "$port")
		[ "$answer" = "$FIRST" ] ||
			fail "traffic to $FIRST's host port $ADDR:$port reaches ${answer:-nobody}"
	done
	log "PASS: automatic host ports $first80, $first81 ($FIRST) and $second80 ($SECOND) are distinct and each reaches its container"
}

main
