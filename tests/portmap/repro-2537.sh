#!/bin/sh
# Live reproduction of nerdctl issue #2537 inside a running nerdctl-dind wrapper.
#
# For `-p 80` (no host port) nerdctl 1.5.0 picks a free host port and treats
# as taken the ports named by the CNI-HOSTPORT-DNAT rules. The portmap plugin
# writes ONE rule per container and protocol, `--dports 49153,49154`, and
# nerdctl read only the first port of that list. So once a container
# publishes two ports, the next container is given the first one's second
# host port; the older DNAT rule matches first, and the traffic meant for the
# new container reaches the old one. Fixed by nerdctl/patches/0001.
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

WRAPPER=${1:?usage: $0 WRAPPER [IMAGE]}
IMAGE=${2:-busybox:ndind}
NERDCTL=${NERDCTL:-nerdctl}
ADDR=${REPRO_ADDR:-127.0.0.1}
FIRST=repro2537-first
SECOND=repro2537-second

log() { printf '%s. >>> %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*"; }
fail() { log "FAIL: $*" >&2; exit 1; }
error() { log "ERROR: $*" >&2; exit 2; }

nerdctl_in() { docker exec "$WRAPPER" "$NERDCTL" "$@"; }

remove_containers() {
	nerdctl_in rm -f "$FIRST" "$SECOND" >/dev/null 2>&1 || true
}

check_wrapper() {
	nerdctl_in version >/dev/null 2>&1 || error "cannot run $NERDCTL in container $WRAPPER"
	[ -n "$(nerdctl_in images -q "$IMAGE" 2>/dev/null)" ] || error "image $IMAGE is not loaded in $WRAPPER"
}

# start_server NAME PUBLISH_FLAGS...: busybox httpd on ports 80 and 81 whose
# page is the container's name, so a reply says which container answered.
start_server() {
	name=$1
	shift
	log "nerdctl run -d --name $name $*"
	nerdctl_in run -d --name "$name" "$@" "$IMAGE" busybox sh -c "
		busybox mkdir -p /www && echo $name >/www/index.html &&
		busybox httpd -p 80 -h /www && exec busybox httpd -f -p 81 -h /www" >/dev/null ||
		error "nerdctl run $name failed"
}

# wait_inside NAME PORT: wait until the server answers inside its own container.
wait_inside() {
	i=0
	until [ "$(nerdctl_in exec "$1" busybox timeout 3 busybox wget -qO- "http://127.0.0.1:$2/" 2>/dev/null)" = "$1" ]; do
		i=$((i + 1))
		[ "$i" -lt 20 ] || error "$1 does not serve on its port $2"
		sleep 1
	done
}

# host_port NAME PORT: the host port nerdctl lists for NAME's PORT/tcp.
host_port() {
	listing=$(nerdctl_in port "$1" "$2/tcp") || error "nerdctl port $1 $2/tcp failed"
	echo "${listing##*:}"
}

# pick_client: how fetch connects from inside the wrapper: with its own wget or
# curl, else with the inner busybox on the host network. (Busybox wget is run
# under `timeout`: Debian's static busybox 1.35 crashes on `wget -T`.)
pick_client() {
	if [ -n "${REPRO_CLIENT:-}" ]; then
		CLIENT=$REPRO_CLIENT
	elif docker exec "$WRAPPER" sh -c 'command -v wget && command -v timeout' >/dev/null 2>&1; then
		CLIENT=wget
	elif docker exec "$WRAPPER" sh -c 'command -v curl' >/dev/null 2>&1; then
		CLIENT=curl
	else
		CLIENT=inner
	fi
}

# fetch PORT: the page that answers on ADDR:PORT inside the wrapper, "" if none.
fetch() {
	url="http://$ADDR:$1/"
	i=0
	while :; do
		case $CLIENT in
		wget) page=$(docker exec "$WRAPPER" timeout 5 wget -qO- "$url" 2>/dev/null) || page= ;;
		curl) page=$(docker exec "$WRAPPER" curl -fsS -m 5 "$url" 2>/dev/null) || page= ;;
		*) page=$(nerdctl_in run --rm --network host "$IMAGE" \
			busybox timeout 5 busybox wget -qO- "$url" 2>/dev/null) || page= ;;
		esac
		i=$((i + 1))
		if [ -n "$page" ] || [ "$i" -ge 3 ]; then
			echo "$page"
			return
		fi
		sleep 1
	done
}

main() {
	check_wrapper
	pick_client
	log "connecting from inside $WRAPPER with: $CLIENT"
	trap remove_containers EXIT
	remove_containers

	# The first container publishes two ports, both with automatic host ports.
	start_server "$FIRST" -p 80 -p 81
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
	start_server "$SECOND" -p 80
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
