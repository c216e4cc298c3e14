#!/bin/sh
# The storage folder's layout, chosen at every start of the wrapper.
#   folder  containerd, nerdctl and BuildKit keep their files in the stack's
#           folder itself (lib/<stack>/containerd, nerdctl, buildkit).
#   image   they keep them in one ext4 image file in that folder
#           (lib/<stack>/containerd/nerdctl-dind.ext4), sparse, loop-mounted
#           here: for folders whose filesystem overlayfs cannot take as its
#           upper dir (virtiofs, 9p, FUSE: a shared folder of Docker Desktop,
#           Lima or WSL; overlayfs itself).
# docs/storage.md says why an image file and not a volume or another snapshotter.
#   storage.sh mount   entry.sh, before containerd starts: choose, mount, record
#   storage.sh trim    make trim: give the space deleted images left back to the folder
#   storage.sh show    one line: layout, why, sizes (the report and make status read it)
set -eu
. /scripts/common.sh
. /scripts/fs.sh

# The stack's folder as docker binds it. Once the image file is mounted over
# it, the folder stays reachable at KEPT (the trim and the sizes need it).
FOLDER=/var/lib/containerd
KEPT=$NDIND_RUN/storage-folder
DISK=$NDIND_RUN/storage-disk
IMAGE_FILE=nerdctl-dind.ext4
DIRS="containerd nerdctl buildkit"
LIBDIR=/usr/local/lib/nerdctl-dind

record() { # LAYOUT WHY
	echo "$1" >"$NDIND_RUN/storage-layout"
	echo "$2" >"$NDIND_RUN/storage-why"
	log "storage layout: $1 ($2)"
}

# Anything of containerd's in the folder: a folder-layout store is never
# hidden under a new image file. (An image file half made, or a probe left,
# by a start that died is no store.)
folder_has_data() {
	for f in "$KEPT"/* "$KEPT"/.[!.]*; do
		[ -e "$f" ] || continue
		case ${f##*/} in "$IMAGE_FILE" | "$IMAGE_FILE.new" | .overlay-probe.*) ;; *) return 0 ;; esac
	done
	return 1
}

# Mounts an overlay with its upper dir in the folder and deletes a lower file
# through it (a whiteout: what containerd's overlayfs snapshotter does).
# Prints the error and fails when the folder's filesystem cannot take it.
overlay_fails() {
	d=$(mktemp -d "$KEPT/.overlay-probe.XXXXXX")
	mkdir "$d/lower" "$d/upper" "$d/work" "$d/merged"
	: >"$d/lower/f"
	rc=0
	if mount -t overlay ndind-probe -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/merged" 2>"$d.err"; then
		rm "$d/merged/f" 2>"$d.err" || rc=1
		umount "$d/merged"
	else
		rc=1
	fi
	# The first line: util-linux's mount adds a second one about dmesg.
	[ "$rc" = 0 ] || sed -e 's/^mount: //' -e 's/^rm: //' "$d.err" | head -n 1
	rm -rf "$d" "$d.err"
	[ "$rc" != 0 ]
}

choose() {
	wanted=${NDIND_STORAGE_LAYOUT:-auto}
	fs=$(fs_type "$KEPT")
	if [ -f "$KEPT/$IMAGE_FILE" ]; then
		[ "$wanted" != folder ] || die "storageLayout is folder, but $IMAGE_FILE in the storage folder holds this stack's images; set storageLayout to auto or image"
		record image "$IMAGE_FILE is there"
	elif [ "$wanted" = image ]; then
		! folder_has_data || die "storageLayout is image, but the storage folder holds this stack's images in the folder layout; set storageLayout to auto or folder"
		record image "set by storageLayout"
	elif [ "$wanted" = folder ]; then
		record folder "set by storageLayout"
	elif folder_has_data; then
		record folder "the folder holds images in this layout"
	elif err=$(overlay_fails); then
		record image "overlayfs cannot use $fs as its upper dir: ${err##*: }"
	else
		record folder "overlayfs works on $fs"
	fi
}

# A free loop device. The container's /dev was filled when it was created, so
# a device the kernel adds later (LOOP_CTL_GET_FREE) has no node yet.
free_loop() {
	dev=$(losetup -f) || die "no free loop device: $dev"
	[ -b "$dev" ] || mknod "$dev" b 7 "${dev#/dev/loop}"
	echo "$dev"
}

# Bytes of a size like 64G (the storageImageSize setting, checked at preview).
bytes() {
	n=${1%[KMGT]}
	case $1 in
	*K) echo $((n << 10)) ;; *M) echo $((n << 20)) ;; *G) echo $((n << 30)) ;; *T) echo $((n << 40)) ;; *) echo "$n" ;;
	esac
}

mount_image() {
	image=$KEPT/$IMAGE_FILE
	size=$(bytes "${NDIND_STORAGE_IMAGE_SIZE:-64G}")
	if [ ! -f "$image" ]; then
		# Made under another name and renamed: a crash never leaves half an image.
		log "storage: making $IMAGE_FILE, ext4, sparse, at most $size bytes"
		rm -f "$image.new"
		truncate -s "$size" "$image.new"
		MKE2FS_CONFIG=$LIBDIR/mke2fs.conf mke2fs -q -t ext4 -L nerdctl-dind \
			-E nodiscard,lazy_itable_init=1,lazy_journal_init=1 "$image.new"
		mv "$image.new" "$image"
	fi
	tries=0
	until dev=$(free_loop) && losetup "$dev" "$image" 2>/dev/null; do
		tries=$((tries + 1))
		[ "$tries" -lt 20 ] || die "could not attach $image to a loop device"
		sleep 0.1
	done
	mkdir -p "$DISK"
	# noinit_itable: the kernel would write zeros over every inode table (a
	# GiB for 64 GiB) into the shared folder; a sparse file reads as zeros.
	mount -t ext4 -o noinit_itable "$dev" "$DISK" || { losetup -d "$dev"; die "could not mount $IMAGE_FILE ($dev)"; }
	# Detaching a mounted loop device marks it to go with its last mount: the
	# wrapper's end frees it, and no restart leaves one behind.
	losetup -d "$dev"
	grow "$image" "$size" "$dev"
	for d in $DIRS; do
		mkdir -p "$DISK/$d"
		mount --bind "$DISK/$d" "/var/lib/$d"
	done
	log "storage: $IMAGE_FILE on $dev: $(usage)"
}

# A larger storageImageSize grows the image file and its filesystem, mounted.
grow() { # IMAGE BYTES DEV
	[ "$(stat -c %s "$1")" -lt "$2" ] || return 0
	log "storage: growing $IMAGE_FILE to $2 bytes"
	truncate -s "$2" "$1"
	losetup -c "$3"
	resize2fs "$3" >/dev/null 2>&1 || log "storage: resize2fs failed; the image keeps its size"
}

# "used X of Y MiB inside; the file takes Z MiB of the folder".
usage() {
	inside=$(df -P -k "$DISK" | awk 'NR == 2 { printf "%d of %d MiB", $3 / 1024, $2 / 1024 }')
	echo "used $inside inside; the file takes $(du -k "$KEPT/$IMAGE_FILE" | awk '{ printf "%d MiB", $1 / 1024 }') of the folder"
}

do_mount() {
	mkdir -p "$KEPT"
	# Private: entry.sh made every mount shared, and a shared bind would
	# follow the image's bind over /var/lib/containerd and hide the folder.
	mountpoint -q "$KEPT" || { mount --bind "$FOLDER" "$KEPT" && mount --make-private "$KEPT"; }
	choose
	[ "$(cat "$NDIND_RUN/storage-layout")" = folder ] || mount_image
}

# fstrim hands the blocks deleted images left back to the loop device, which
# punches them out of the file, where the folder's filesystem can (ext4, xfs,
# btrfs; not every FUSE or 9p server).
do_trim() {
	[ "$(cat "$NDIND_RUN/storage-layout" 2>/dev/null)" = image ] || {
		echo "trim: the stack uses the folder layout: deleted images gave their space back at once"
		return 0
	}
	before=$(du -k "$KEPT/$IMAGE_FILE" | cut -f1)
	# Blocks freed since the last journal commit are trimmed only after it.
	sync
	sleep "${NDIND_TRIM_WAIT:-6}"
	if ! err=$(fstrim "$DISK" 2>&1); then
		echo "trim: not possible here: $err (the folder is on $(fs_type "$KEPT"), which cannot punch holes in a file); space freed inside stays in the file and new images reuse it"
		return 0
	fi
	sync
	after=$(du -k "$KEPT/$IMAGE_FILE" | cut -f1)
	echo "trim: gave back $(((before - after) / 1024)) MiB ($before KiB -> $after KiB); $(usage)"
}

do_show() {
	layout=$(cat "$NDIND_RUN/storage-layout" 2>/dev/null || echo unknown)
	if [ "$layout" = image ]; then
		echo "image ($(cat "$NDIND_RUN/storage-why")); $(usage)"
	else
		held=$(du -sk /var/lib/containerd /var/lib/nerdctl /var/lib/buildkit 2>/dev/null | awk '{ k += $1 } END { printf "%d MiB", k / 1024 }')
		echo "$layout ($(cat "$NDIND_RUN/storage-why" 2>/dev/null || echo 'not chosen yet')); the folder holds $held"
	fi
}

case ${1:-} in
mount) do_mount ;;
trim) do_trim ;;
show) do_show ;;
*) die "usage: storage.sh mount|trim|show" ;;
esac
