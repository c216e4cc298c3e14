# shellcheck shell=sh
# Sourced by every script in the wrapper: one log style, one PATH, one state
# folder, so containerd, CNI and each nerdctl call see the same tools.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
NDIND_RUN=/run/nerdctl-dind
# HTTP_PROXY and friends for containerd and nerdctl (configure.sh writes it).
PROXY_ENV=/etc/nerdctl-dind/proxy.env

log() { printf '%s. >>> %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

containerd_serving() { ctr version >/dev/null 2>&1; }

# Readiness is probed, never slept for: poll every 50 ms up to $1 seconds.
wait_for_containerd() {
	deadline=$(($(date +%s) + $1))
	until containerd_serving; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			die "containerd is not serving after $1 s; see /var/log/containerd.log"
		sleep 0.05
	done
}

buildkit_serving() { buildctl debug workers >/dev/null 2>&1; }
