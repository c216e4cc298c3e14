#!/bin/sh
# First process in the wrapper (under docker's --init): prepares the container,
# then starts containerd and supervises it. Every step is idempotent, because
# `docker restart` runs this again on the same filesystem.
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

# containerd is restarted whenever it dies, so the environment heals without
# a Pulumi run; SIGTERM from `docker stop` stops it cleanly.
supervise_containerd() {
	stopping=0
	pid=
	trap 'stopping=1; [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || :' TERM INT
	while :; do
		started=$(date +%s)
		containerd >>/var/log/containerd.log 2>&1 &
		pid=$!
		echo "$pid" >"$NDIND_RUN/containerd.pid"
		log "containerd started (pid $pid)"
		while kill -0 "$pid" 2>/dev/null; do wait "$pid" || :; done
		[ "$stopping" = 0 ] || { log "containerd stopped"; exit 0; }
		log "containerd exited; restarting it"
		# Back off only when it dies at once, so a broken config does not spin.
		[ $(($(date +%s) - started)) -ge 2 ] || sleep 1
	done
}

log "/scripts/entry.sh running"
mkdir -p "$NDIND_RUN"
share_mounts
fix_cgroup
select_iptables
reset_cni_state
configure_containerd
log "/scripts/entry.sh finished; supervising containerd"
supervise_containerd
