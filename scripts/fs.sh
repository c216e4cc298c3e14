# shellcheck shell=sh
# Sourced by doctor.sh (wrapper and host), storage.sh and space.sh (wrapper).

# The type PATH's filesystem was mounted with: that of the longest mount
# point above it in /proc/self/mountinfo (a later mount over the same point
# wins). Fails when PATH is not a folder.
mount_type() {
	_p=$(cd "$1" 2>/dev/null && pwd -P) || return 1
	awk -v p="$_p" '{
		for (i = 7; $i != "-"; i++) continue
		mp = $5
		if ((mp == "/" || p == mp || index(p, mp "/") == 1) && length(mp) >= best) { best = length(mp); type = $(i + 1) }
	} END { if (type == "") exit 1; print type }' /proc/self/mountinfo
}

# A filesystem's type by its magic number: busybox's stat prints "UNKNOWN"
# for %T on overlayfs and cgroup v1 (measured with busybox 1.35). A 9p share
# (9p2000.L) or virtiofs passes on the statfs of the filesystem it shares,
# so its magic is the host's ext4 or xfs (seen: a 9p share reported as
# ext2/3/4); for those the mount's own type is the answer.
fs_type() {
	mounted=$(mount_type "$1" 2>/dev/null) || mounted=
	case $mounted in
	9p | virtiofs) echo "$mounted" && return ;;
	esac
	magic=$(stat -f -c %t "$1" 2>/dev/null) || { echo none; return; }
	case $magic in
	794c7630) echo overlayfs ;;
	ef53) echo ext2/3/4 ;;
	58465342) echo xfs ;;
	9123683e) echo btrfs ;;
	2fc12fc1) echo zfs ;;
	1021994) echo tmpfs ;;
	858458f6) echo ramfs ;;
	63677270) echo cgroup2fs ;;
	27e0eb) echo cgroupfs ;;
	6969) echo nfs ;;
	65735546) echo fuse ;;
	*) echo "$(stat -f -c %T "$1") (0x$magic)" ;;
	esac
}

# "P% free (A of B MiB)" for DIR's filesystem, and status 1 when P is below
# MIN (storageMinFree; 0 never warns). Free is what df calls available over
# the whole size: the blocks kept for root are no room for images.
free_share() { # DIR MIN
	df -P -k "$1" | awk -v min="$2" 'NR == 2 {
		pct = $2 > 0 ? int($4 * 100 / $2) : 0
		printf "%d%% free (%d of %d MiB)\n", pct, $4 / 1024, $2 / 1024
		exit (pct < min) ? 1 : 0
	}'
}
