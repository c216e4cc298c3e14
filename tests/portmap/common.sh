# shellcheck shell=sh
# Sourced by the port-mapping reproductions: arguments, log style, and the
# helpers that start named servers and tell, by real traffic, which container
# answers on a port. Each script sets FIRST and SECOND before sourcing.

WRAPPER=${1:?usage: $0 WRAPPER [IMAGE]}
IMAGE=${2:-busybox:ndind}
NERDCTL=${NERDCTL:-nerdctl}
ADDR=${REPRO_ADDR:-127.0.0.1}

. "$(dirname "$0")/../../scripts/log.sh"
fail() { log "FAIL: $*" >&2; exit 1; }
# problem WHY: a FAIL line, and exit 1 at finish, so that one run shows every case.
problem() {
	log "FAIL: $*" >&2
	FAILED=1
}
finish() { [ -z "${FAILED:-}" ] || exit 1; }
error() { log "ERROR: $*" >&2; exit 2; }

nerdctl_in() { docker exec "$WRAPPER" "$NERDCTL" "$@"; }

# Scripts with more containers list the others in MORE (space-separated).
remove_containers() {
	# shellcheck disable=SC2086 # one name per word
	nerdctl_in rm -f "$FIRST" "$SECOND" ${MORE:-} >/dev/null 2>&1 || true
}

check_wrapper() {
	nerdctl_in version >/dev/null 2>&1 || error "cannot run $NERDCTL in container $WRAPPER"
	[ -n "$(nerdctl_in images -q "$IMAGE" 2>/dev/null)" ] || error "image $IMAGE is not loaded in $WRAPPER"
}

# run_server NAME PUBLISH_FLAGS...: start busybox httpd on ports 80 and 81
# whose page is the container's name, so a reply says which container
# answered. nerdctl's output is left in RUN_OUT; the status is nerdctl's.
run_server() {
	name=$1
	shift
	log "nerdctl run -d --name $name $*"
	RUN_OUT=$(nerdctl_in run -d --name "$name" "$@" "$IMAGE" busybox sh -c "
		busybox mkdir -p /www && echo $name >/www/index.html &&
		busybox httpd -p 80 -h /www && exec busybox httpd -f -p 81 -h /www" 2>&1)
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

# begin: checks the wrapper, picks the client, and clears our containers now
# and on exit.
begin() {
	check_wrapper
	pick_client
	log "connecting from inside $WRAPPER with: $CLIENT"
	trap remove_containers EXIT
	remove_containers
}
