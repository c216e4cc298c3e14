#!/bin/sh
# A shared folder as a Docker engine sees a Mac's or a Windows checkout
# (virtiofs, 9p, gRPC-FUSE): here a FUSE filesystem, Debian's bindfs, over a
# local folder. overlayfs refuses FUSE as its upper dir, as it refuses those.
#   bindfs.sh mount BACKING MOUNTPOINT   (installs bindfs when missing)
#   bindfs.sh umount MOUNTPOINT
set -eu
. "$(dirname "$0")/../../toolchain/lib.sh"

case ${1:-} in
mount)
	[ -c /dev/fuse ] || die "no /dev/fuse: this kernel has no FUSE, so no shared folder can be made here"
	need bindfs bindfs
	mkdir -p "$2" "$3"
	say "bindfs $2 -> $3 (FUSE)"
	bindfs "$2" "$3"
	;;
umount)
	say "unmounting $2"
	fusermount -u "$2" 2>/dev/null || umount "$2"
	;;
*) die "usage: bindfs.sh mount BACKING MOUNTPOINT | umount MOUNTPOINT" ;;
esac
