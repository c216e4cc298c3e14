# shellcheck shell=sh
# Sourced by every script in the wrapper: one log style, one PATH, one state
# folder, so containerd, CNI and each nerdctl call see the same tools.
# scripts/ is /scripts in the wrapper; doctor.sh, which also runs on the
# host, sets NDIND_SCRIPTS to where it is.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
NDIND_RUN=/run/nerdctl-dind
# HTTP_PROXY and friends for containerd and nerdctl (configure.sh writes it).
PROXY_ENV=/etc/nerdctl-dind/proxy.env

. "${NDIND_SCRIPTS:-/scripts}/log.sh"

containerd_serving() { ctr version >/dev/null 2>&1; }

wait_for_containerd() {
	wait_until "$1" containerd_serving ||
		die "containerd is not serving after $1 s; see /var/log/containerd.log"
}

buildkit_serving() { buildctl debug workers >/dev/null 2>&1; }
