# shellcheck shell=sh
# Sourced by scripts/doctor.sh: the kernel features a container needs
# (namespaces, overlay, bridge, veth, br_netfilter), each made for real in a
# throwaway namespace, and the storage folder's filesystem.

# Hidden mode in `unshare -n`: the links the CNI bridge plugin makes; $1
# picks what is tested.
netns_links() {
	case $1 in
	bridge) ip link add ndoc0 type bridge && ip link set ndoc0 up ;;
	veth) ip link add ndoc1 type veth peer name ndoc2 ;;
	br_netfilter)
		ip link add ndoc0 type bridge
		[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ||
			{ echo "no /proc/sys/net/bridge/bridge-nf-call-iptables"; return 1; } ;;
	esac
}

test_namespaces() { unshare -m -u -i -n -p -f true; }
test_bridge() { unshare -n sh "$SELF" __netns_links bridge; }
test_veth() { unshare -n sh "$SELF" __netns_links veth; }
test_br_netfilter() { unshare -n sh "$SELF" __netns_links br_netfilter; }

# overlay in a private mount namespace on a fresh tmpfs, so the result does
# not depend on the filesystem under /tmp (often overlay in a container).
test_overlay() {
	d=$(mktemp -d "${TMPDIR:-/tmp}/ndoc-overlay.XXXXXX")
	rc=0
	unshare -m sh "$SELF" __mount_overlay "$d" tmpfs || rc=$?
	rmdir "$d" 2>/dev/null || :
	return $rc
}

# Hidden mode in `unshare -m`: mounts an overlay in $1 (on a tmpfs if $2 = tmpfs).
mount_overlay() {
	mount --make-rprivate / 2>/dev/null || :
	[ "$2" != tmpfs ] || mount -t tmpfs ndoc "$1"
	mkdir -p "$1/l" "$1/u" "$1/w" "$1/m"
	echo x >"$1/l/f"
	mount -t overlay ndoc -o "lowerdir=$1/l,upperdir=$1/u,workdir=$1/w" "$1/m"
	echo y >"$1/m/f"
	[ "$(cat "$1/u/f")" = y ]
}

check_features() {
	feature namespaces "mount, uts, ipc, net and pid namespaces made with unshare" "" \
		"CONFIG_NAMESPACES CONFIG_UTS_NS CONFIG_IPC_NS CONFIG_NET_NS CONFIG_PID_NS" test_namespaces FAIL
	feature overlay "an overlay mounted and written in a tmp dir" overlay CONFIG_OVERLAY_FS test_overlay FAIL
	exercise=$NO_EXERCISE
	[ -n "$NO_EXERCISE" ] || command -v ip >/dev/null || NO_EXERCISE="no ip(8): install iproute2"
	feature bridge "ip link add type bridge in a throwaway netns" bridge CONFIG_BRIDGE test_bridge FAIL
	feature veth "ip link add type veth in a throwaway netns" veth CONFIG_VETH test_veth FAIL
	# Measured: published ports (also from a container on the same bridge)
	# work with bridge-nf-call-iptables=0; nerdctl info only warns.
	nf=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo unset)
	feature br_netfilter "/proc/sys/net/bridge appears with a bridge in a throwaway netns; here bridge-nf-call-iptables=$nf" \
		br_netfilter CONFIG_BRIDGE_NETFILTER test_br_netfilter WARN
	NO_EXERCISE=$exercise
}

# The storage folder's filesystem: where overlayfs cannot take its upper dir
# there (overlayfs, FUSE, 9p, virtiofs), a new stack keeps its images in an
# image file in it; an older stack on overlayfs keeps the native snapshotter.
check_storage() {
	dir=$STORAGE
	while [ ! -e "$dir" ]; do dir=$(dirname "$dir"); done
	fs=$(fs_type "$dir")
	where="$STORAGE is on $fs"
	# In the wrapper: the layout this start chose (scripts/storage.sh).
	[ ! -r "$NDIND_RUN/storage-layout" ] || where="$where, storage layout $("$NDIND_SCRIPTS/storage.sh" show)"
	[ "$dir" = "$STORAGE" ] || where="$STORAGE does not exist yet; $dir is on $fs"
	case $fs in
	overlayfs)
		report WARN storage "$where: a new stack keeps its images in an image file there; one with images there already uses the native snapshotter (slow, big)" "put it on ext4/xfs" ;;
	tmpfs | ramfs)
		report WARN storage "$where: images are lost at reboot" "put it on ext4/xfs" ;;
	*)
		if [ "$dir" = "$STORAGE" ] && [ -z "$NO_EXERCISE" ] && [ -w "$dir" ]; then
			d=$(mktemp -d "$dir/.ndoc-overlay.XXXXXX")
			if unshare -m sh "$SELF" __mount_overlay "$d" plain >"$WORK/err" 2>&1; then
				report OK storage "$where; an overlay with its upper dir there works"
			else
				report OK storage "$where; overlay cannot take its upper dir there ($(last_error)): the wrapper keeps the images in an ext4 image file in it (storage layout image)"
			fi
			rm -rf "$d"
		else
			report OK storage "$where"
		fi ;;
	esac
}

# The storage's free share against storageMinFree (NDIND_STORAGE_MIN_FREE in
# the wrapper, or given to make doctor): a full disk fails every build, pull
# and nerdctl run, so the report warns before. In the wrapper space.sh also
# looks into the image layout's file.
check_space() {
	min=${NDIND_STORAGE_MIN_FREE:-10}
	if [ -x "$NDIND_SCRIPTS/space.sh" ] && [ -r "$NDIND_RUN/storage-layout" ]; then
		detail=$("$NDIND_SCRIPTS/space.sh" free) && rc=0 || rc=$?
	else
		dir=$STORAGE
		while [ ! -e "$dir" ]; do dir=$(dirname "$dir"); done
		detail=$(free_share "$dir" "$min") && rc=0 || rc=$?
		detail="$dir: $detail"
		[ "$rc" = 0 ] || detail="$detail: below storageMinFree ($min%)"
	fi
	if [ "$rc" = 0 ]; then
		report OK "storage space" "$detail"
	else
		report WARN "storage space" "$detail" "make prune STACK=<stack> gives back what builds left (it says how much); nerdctl rmi what you no longer need"
	fi
}
