#!/bin/sh
# First process in the wrapper (under docker's --init): prepares the container,
# then starts containerd (and buildkitd, when the bundle has it) and supervises
# them. Every step is idempotent, because `docker restart` runs this again on
# the same filesystem.
set -eu
. /scripts/common.sh

# Inner containers' rootfs and volume mounts must propagate (kind: fix_mount).
share_mounts() {
	mount --make-rshared /
}

# cgroup v2 forbids processes in a cgroup that delegates controllers, so move
# ours into /init first (moby hack/dind does the same). v1 with a private
# cgroup namespace needs nothing.
fix_cgroup() {
	[ -f /sys/fs/cgroup/cgroup.controllers ] || return 0
	mkdir -p /sys/fs/cgroup/init
	xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
	sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers \
		>/sys/fs/cgroup/cgroup.subtree_control
}

# One iptables backend for containerd, CNI and every nerdctl call, chosen once
# (dind: legacy if legacy tables are already in use here; kind counts rules).
# NDIND_IPTABLES=legacy|nft forces it. The choice is linked into /usr/local/sbin,
# first on every PATH we set.
select_iptables() {
	mode=${NDIND_IPTABLES:-}
	if [ -z "$mode" ]; then
		if [ -s /proc/net/ip_tables_names ] && [ "$(iptables_for legacy)" ]; then
			mode=legacy
		elif [ "$(iptables_for nft)" ] && "$(iptables_for nft)" -t nat -L >/dev/null 2>&1; then
			mode=nft
		else
			mode=legacy
		fi
	fi
	multi=$(iptables_for "$mode")
	[ -n "$multi" ] || die "no iptables-$mode in this image"
	for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
		ln -sf "$multi" "/usr/local/sbin/$tool"
	done
	echo "$mode" >"$NDIND_RUN/iptables-backend"
	log "iptables backend: $mode ($multi)"
}

# Path of the xtables multi-call binary for backend $1, empty if absent.
iptables_for() {
	for bin in "/usr/sbin/xtables-$1-multi" "/sbin/xtables-$1-multi"; do
		[ -x "$bin" ] && { echo "$bin"; return 0; }
	done
}

# Inner tasks that died with the wrapper never ran their CNI teardown, so
# their IP leases would make the next start of the same container fail as a
# duplicate. No task survives a wrapper restart, so no lease is live.
reset_cni_state() {
	rm -rf /var/lib/cni/networks /var/lib/cni/results
}

# The CRI plugin is off: nerdctl does not use it and it slows every start.
# overlayfs cannot stack on overlayfs, so fall back to the native snapshotter
# when the storage folder itself sits on overlay.
configure_containerd() {
	mkdir -p /etc/containerd /etc/nerdctl
	printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >/etc/containerd/config.toml
	snapshotter=overlayfs
	# By magic number: busybox's stat has no name for overlayfs.
	[ "$(stat -f -c %t /var/lib/containerd)" != 794c7630 ] || snapshotter=native
	printf 'snapshotter = "%s"\n' "$snapshotter" >/etc/nerdctl/nerdctl.toml
	log "snapshotter: $snapshotter"
}

# NAME FUNCTION: runs FUNCTION (which execs the daemon) in the background and
# restarts it whenever it dies, so the environment heals without a Pulumi
# run; SIGTERM (from `docker stop`, through the entry script) stops it cleanly.
# Log: /var/log/NAME.log.
supervise() {
	stopping=0
	pid=
	trap 'stopping=1; [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || :' TERM INT
	while :; do
		started=$(date +%s)
		"$2" >>"/var/log/$1.log" 2>&1 &
		pid=$!
		echo "$pid" >"$NDIND_RUN/$1.pid"
		log "$1 started (pid $pid)"
		while kill -0 "$pid" 2>/dev/null; do wait "$pid" || :; done
		[ "$stopping" = 0 ] || { log "$1 stopped"; exit 0; }
		log "$1 exited; restarting it"
		# Back off only when it dies at once, so a broken config does not spin.
		[ $(($(date +%s) - started)) -ge 2 ] || sleep 1
	done
}

# The daemons start with the proxy settings of the moment; configure.sh
# restarts them when those change.
load_proxy_env() {
	[ ! -r "$PROXY_ENV" ] || { set -a; . "$PROXY_ENV"; set +a; }
}

run_containerd() {
	load_proxy_env
	exec containerd
}

# BuildKit's containerd worker (as nerdctl's full release runs it, no OCI
# worker) stores images and snapshots in containerd, in nerdctl's namespace
# (so FROM sees the images loaded there, and builds land there) and under its
# snapshotter; its cache database lives in /var/lib/buildkit, a storage folder
# too. It waits for containerd, because it gives up if containerd is not there.
run_buildkitd() {
	until containerd_serving; do sleep 0.1; done
	load_proxy_env
	exec buildkitd --oci-worker=false --containerd-worker=true --containerd-worker-namespace=default \
		--containerd-worker-snapshotter="$snapshotter" --root=/var/lib/buildkit
}

# nerdctl fetches images itself, so it starts with the proxy settings too.
wrap_nerdctl() {
	ln -sf /scripts/nerdctl.sh /usr/local/sbin/nerdctl
}

# The daemons, each under its own supervisor; the entry script waits for
# them and passes SIGTERM on.
supervise_all() {
	supervise containerd run_containerd &
	supervisors=$!
	if command -v buildkitd >/dev/null; then
		supervise buildkitd run_buildkitd &
		supervisors="$supervisors $!"
	fi
	trap 'kill -TERM $supervisors 2>/dev/null || :' TERM INT
	for s in $supervisors; do
		while kill -0 "$s" 2>/dev/null; do wait "$s" || :; done
	done
}

log "/scripts/entry.sh running"
mkdir -p "$NDIND_RUN"
share_mounts
fix_cgroup
select_iptables
reset_cni_state
configure_containerd
wrap_nerdctl
log "/scripts/entry.sh finished; supervising containerd$(command -v buildkitd >/dev/null && echo ' and buildkitd')"
supervise_all
