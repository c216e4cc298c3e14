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

# cgroup v2 forbids processes in a cgroup that delegates controllers, so ours
# move into /init first (moby hack/dind does the same), then every controller
# is delegated to the inner containers. A `docker exec` that lands between
# the move and the write puts a process back in the root and fails the write
# with EBUSY, so both are tried again. v1 with a private cgroup namespace
# needs nothing.
fix_cgroup() {
	if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
		log "cgroup v1: nothing to move"
		return 0
	fi
	mkdir -p /sys/fs/cgroup/init
	tries=0
	until {
		xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
		sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers \
			>/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	}; do
		tries=$((tries + 1))
		[ "$tries" -lt 50 ] || die "cgroup v2: could not delegate controllers after $tries tries"
		sleep 0.1
	done
	log "cgroup v2: processes in /init, controllers delegated: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
}

# One iptables backend for containerd, CNI and every nerdctl call, chosen
# once per start by trying each for real: the backend that already holds
# rules here first (Docker's own rules in this namespace tell which one the
# host uses; kind counts them too), then whichever can open the nat table,
# legacy before nft when both can. NDIND_IPTABLES=legacy|nft (the stack's
# iptablesBackend setting) skips the choice, not the check. The choice is
# linked into /usr/local/sbin, first on every PATH we set; the bundle brings
# both backends, so the base image's iptables never matters.
select_iptables() {
	wanted=${NDIND_IPTABLES:-auto}
	why=
	case $wanted in
	legacy | nft) order=$wanted why="set by iptablesBackend" ;;
	auto)
		legacy_rules=$(rule_count legacy)
		nft_rules=$(rule_count nft)
		if [ "$nft_rules" -gt "$legacy_rules" ]; then order="nft legacy"; else order="legacy nft"; fi
		why="auto; rules present: legacy $legacy_rules, nft $nft_rules"
		;;
	*) die "NDIND_IPTABLES is '$wanted': give auto, legacy or nft" ;;
	esac
	mode=none
	for b in $order; do
		if err=$(xtables "$b" iptables -t nat -S 2>&1 >/dev/null); then
			mode=$b
			break
		fi
		why="$why; $b cannot open the nat table: $(echo "$err" | grep -v '^$' | tail -n 1)"
	done
	# With no working backend the first candidate is linked all the same, so
	# every later error names what failed; verify and the health check refuse.
	link=${mode#none}
	link=${link:-${order%% *}}
	for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
		ln -sf "xtables-$link-multi" "/usr/local/sbin/$tool"
	done
	echo "$mode" >"$NDIND_RUN/iptables-backend"
	echo "$why" >"$NDIND_RUN/iptables-choice"
	log "iptables backend: $mode ($why)"
}

# BACKEND APPLET ARGS...: runs an iptables applet of one backend.
xtables() {
	b=$1
	shift
	"/usr/local/sbin/xtables-$b-multi" "$@"
}

# Rules of both families in backend $1, 0 when it cannot list them.
rule_count() {
	{ xtables "$1" iptables-save; xtables "$1" ip6tables-save; } 2>/dev/null | grep -c '^-' || :
}

# Docker turns IPv6 off in the wrapper's network namespace
# (net.ipv6.conf.all.disable_ipv6=1, also on its default and lo), so a bridge
# that nerdctl gives an IPv6 subnet cannot take its address ("permission
# denied"). The wrapper is privileged and the namespace is its own: IPv6 is
# turned on here, for every interface made later too. Docker's network gives
# eth0 no IPv6 address, so IPv6 stays inside the wrapper. A kernel without
# IPv6 (booted with ipv6.disable=1, or built without it) has no
# /proc/sys/net/ipv6: IPv4 works as before, and the host report says what
# does not; $NDIND_RUN/ipv6 keeps this start's answer for it.
enable_ipv6() {
	if [ ! -d /proc/sys/net/ipv6/conf/all ]; then
		echo "absent: no /proc/sys/net/ipv6 (the kernel has no IPv6)" >"$NDIND_RUN/ipv6"
		log "IPv6: the kernel has none (no /proc/sys/net/ipv6); IPv4 only"
		return 0
	fi
	for conf in all default lo; do
		if ! err=$(echo 0 2>&1 >"/proc/sys/net/ipv6/conf/$conf/disable_ipv6"); then
			echo "off: net.ipv6.conf.$conf.disable_ipv6 cannot be written: $err" >"$NDIND_RUN/ipv6"
			log "IPv6: stays off: net.ipv6.conf.$conf.disable_ipv6 cannot be written ($err)"
			return 0
		fi
	done
	# A bridge's gateway address (fd00:44::1 for --subnet fd00:44::/64) was
	# tentative for duplicate address detection for about a second after its
	# first container started: the published port at that address did not
	# answer yet, though the container's own address did. Every address on
	# an inner bridge is nerdctl's to hand out, so there is no duplicate to
	# detect.
	for conf in all default; do echo 0 >"/proc/sys/net/ipv6/conf/$conf/accept_dad"; done
	echo "on" >"$NDIND_RUN/ipv6"
	log "IPv6: on in the wrapper's namespace (net.ipv6.conf.all, default and lo: disable_ipv6=0; no duplicate address detection)"
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
	# shellcheck disable=SC1090 # written by configure.sh
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

# Networks made past that shim (compose's) take the wrapper's MTU at the
# bridge plugin (cni-bridge.sh); the real plugin moves beside it once, and a
# restart finds it there.
wrap_cni_bridge() {
	b=/opt/cni/bin/bridge
	[ -e "$b.real" ] || mv "$b" "$b.real"
	ln -sf /scripts/cni-bridge.sh "$b"
	log "CNI bridge plugin: $b -> /scripts/cni-bridge.sh (the wrapper's MTU where a network names none)"
}

# Inner containers take the wrapper's MTU (that of its default route's
# interface): on a smaller link (cloud, VPN: 1460, 1400) full-size inner
# packets would be dropped and TLS stalls. nerdctl makes its default network
# on first use, without an MTU; here nerdctl makes it first, with the same
# name, label and subnet, and the MTU. A restart on a link with another MTU
# makes it again (no inner container is running at this point).
default_network() {
	iface=$(awk '$2 == "00000000" { print $1; exit }' /proc/net/route)
	mtu=$(cat "/sys/class/net/${iface:-none}/mtu" 2>/dev/null || :)
	[ -n "$mtu" ] || { log "no default route: the default network keeps nerdctl's MTU"; return 0; }
	echo "$mtu" >"$NDIND_RUN/mtu"
	conf=/etc/cni/net.d/nerdctl-bridge.conflist
	if grep -q "\"mtu\": $mtu," "$conf" 2>/dev/null; then
		log "default network: MTU $mtu (from $iface, as before)"
		return 0
	fi
	rm -f "$conf"
	/usr/local/bin/nerdctl network create --label nerdctl/default-network=true \
		--subnet 10.4.0.0/24 -o "mtu=$mtu" bridge >/dev/null
	log "default network: MTU $mtu (from $iface)"
}

# The health check reports what this start's probe found: a wrapper that
# comes back on a host whose kernel changed would otherwise serve
# `nerdctl images` while no container can start.
probe_at_start() {
	wait_for_containerd 120
	/scripts/probe.sh --record >>/var/log/probe.log 2>&1 || :
	log "probe at start: $(cat "$NDIND_RUN/probe")"
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
enable_ipv6
select_iptables
reset_cni_state
/scripts/storage.sh mount
configure_containerd
wrap_nerdctl
wrap_cni_bridge
default_network
probe_at_start &
log "/scripts/entry.sh finished; supervising containerd$(command -v buildkitd >/dev/null && echo ' and buildkitd')"
supervise_all
