# shellcheck shell=sh
# Sourced by doctor.sh (wrapper and host) and storage.sh (wrapper).

# A filesystem's type by its magic number: busybox's stat prints "UNKNOWN"
# for %T on overlayfs and cgroup v1 (measured with busybox 1.35).
fs_type() {
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
