#!/bin/sh
# Live reproduction of nerdctl issue #2179 inside a running nerdctl-dind wrapper.
#
# nerdctl 1.5.0 never checks whether an explicit host port (`-p 18179:80`) is
# already published by another container. The portmap plugin then appends a
# second DNAT rule for the same port behind the first, `nerdctl run` succeeds,
# and all traffic to the port still reaches the first container. Docker
# refuses the second container with "port is already allocated"; so does our
# build (nerdctl/patches/0002).
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

WRAPPER=${1:?usage: $0 WRAPPER [IMAGE]}
IMAGE=${2:-busybox:ndind}
NERDCTL=${NERDCTL:-nerdctl}
ADDR=${REPRO_ADDR:-127.0.0.1}
PORT=${REPRO_PORT:-18179}
FIRST=repro2179-first
SECOND=repro2179-second

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

# run_server NAME PUBLISH_FLAGS...: start busybox httpd on port 80 whose page
# is the container's name, so a reply says which container answered.
# nerdctl's output is left in RUN_OUT; the status is nerdctl's.
run_server() {
	name=$1
	shift
	log "nerdctl run -d --name $name $*"
	RUN_OUT=$(nerdctl_in run -d --name "$name" "$@" "$IMAGE" busybox sh -c "
		busybox mkdir -p /www && echo $name >/www/index.html &&
		exec busybox httpd -f -p 80 -h /www" 2>&1)
}

# wait_inside NAME: wait until the server answers inside its own container.
wait_inside() {
	i=0
	until [ "$(nerdctl_in exec "$1" busybox timeout 3 busybox wget -qO- http://127.0.0.1:80/ 2>/dev/null)" = "$1" ]; do
		i=$((i + 1))
		[ "$i" -lt 20 ] || error "$1 does not serve on its port 80"
		sleep 1
	done
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

	run_server "$FIRST" -p "$PORT:80" || error "nerdctl run $FIRST failed: $RUN_OUT"
	wait_inside "$FIRST"
	[ "$(fetch "$PORT")" = "$FIRST" ] ||
		error "$ADDR:$PORT does not reach $FIRST: the port is taken by something else, or port forwarding does not work in $WRAPPER"
	log "$ADDR:$PORT reaches $FIRST"

	# The second container asks for the same host port.
	if run_server "$SECOND" -p "$PORT:80"; then
		wait_inside "$SECOND"
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
	wait_inside "$SECOND"
	answer=$(fetch "$next")
	[ "$answer" = "$SECOND" ] || fail "traffic to $SECOND's host port $ADDR:$next reaches ${answer:-nobody}"
	log "PASS: host port $PORT, held by $FIRST, was refused to $SECOND (\"port is already allocated\"); $next reaches $SECOND"
}

main
