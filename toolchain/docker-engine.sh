#!/bin/sh
# Makes a Docker engine answer: uses the one that is reachable, else installs
# Debian's docker.io and starts dockerd in the background. An engine we did
# not start is never reconfigured, restarted or stopped.
#   docker-engine.sh                    the above
#   docker-engine.sh --config-in DIR    only writes DIR/daemon.json (and the
#                                       runtime it names), for a dockerd of a
#                                       test's own (tests/engine/dockerd.sh)
set -eu
. "$(dirname "$0")/lib.sh"

STATE="$NDIND_CACHE/dockerd"

install_packages() {
	command -v dockerd >/dev/null && command -v iptables >/dev/null &&
		command -v jq >/dev/null && command -v capsh >/dev/null && return 0
	log "installing docker.io, iptables, jq, libcap2-bin from Debian"
	apt_get update -qq
	apt_get install -y -qq docker.io iptables jq libcap2-bin >/dev/null
}

# True when the bounding set lacks a capability the kernel knows, which makes
# --privileged fail under Debian's dockerd 20.10 (see toolchain/runc-capfilter.sh).
caps_missing() {
	last=$(cat /proc/sys/kernel/cap_last_cap)
	full=$(printf '%x' $(((1 << (last + 1)) - 1)))
	have=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status | sed 's/^0*//')
	[ "$have" != "$full" ]
}

write_daemon_config() {
	mkdir -p "$STATE"
	if caps_missing; then
		log "capability bounding set is short: registering the capfilter OCI runtime"
		cp "$NDIND_ROOT/toolchain/runc-capfilter.sh" "$STATE/runc-capfilter"
		chmod +x "$STATE/runc-capfilter"
		printf '{"runtimes":{"capfilter":{"path":"%s"}},"default-runtime":"capfilter"}\n' \
			"$STATE/runc-capfilter" >"$STATE/daemon.json"
	else
		echo '{}' >"$STATE/daemon.json"
	fi
}

start_dockerd() {
	log "starting dockerd (log: $STATE/dockerd.log)"
	# A session of its own: a Ctrl-C or a kill of the shell that ran make must not take the engine with it.
	setsid nohup dockerd --config-file "$STATE/daemon.json" >>"$STATE/dockerd.log" 2>&1 &
	echo $! >"$STATE/dockerd.pid"
	i=0
	until docker info >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -le 300 ] || die "dockerd did not answer within 30 s; see $STATE/dockerd.log"
		sleep 0.1
	done
}

if [ "${1:-}" = --config-in ]; then
	STATE=${2:?usage: docker-engine.sh --config-in DIR}
	write_daemon_config
	exit 0
fi
if docker info >/dev/null 2>&1; then
	log "using the running Docker engine $(docker version -f '{{.Server.Version}}')"
	exit 0
fi
[ -z "${DOCKER_HOST:-}" ] || die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
install_packages
write_daemon_config
start_dockerd
log "Docker engine $(docker version -f '{{.Server.Version}}') is up"
