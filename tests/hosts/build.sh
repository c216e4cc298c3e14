#!/bin/sh
# The guest disk of the test hosts: a Debian bookworm root made from Debian's
# packages only (debootstrap), with systemd, sshd, Debian's docker.io and
# apparmor (Debian's kernel enables AppArmor; without the package dockerd
# refuses unprivileged containers), and Debian's modular kernel, so the
# guests can have a kernel command line and modules of their own, which this
# machine's monolithic kernel cannot give.
#
#   sh tests/hosts/build.sh     prints the folder with disk.img, vmlinuz, initrd.img
#
# NDIND_GUEST_ARCH=arm64 makes an arm64 guest's disk (linux-image-arm64; its
# second stage runs under a binfmt handler, Debian's qemu-user-static).
#
# Cached in $NDIND_CACHE/guests/<key>/, key = a hash of this script, the
# files it copies in and the package list: a change to either makes a new disk.
# The ext4 image is made without mounting anything (mkfs.ext4 -d).
set -eu
. "$(dirname "$0")/../../toolchain/lib.sh"

SUITE=bookworm
ARCH=$(go_arch "${NDIND_GUEST_ARCH:-amd64}")
case $ARCH in amd64 | arm64) ;; *) die "NDIND_GUEST_ARCH is '$ARCH': give amd64 or arm64" ;; esac
PACKAGES=systemd,systemd-sysv,udev,dbus,openssh-server,docker.io,apparmor,iptables,ca-certificates,curl,kmod,linux-image-$ARCH,initramfs-tools,zstd
# Room for the wrapper image, its bundle and the inner images of a few stacks;
# the file is sparse and every run writes to an overlay of its own.
DISK_SIZE=8G
HERE=$NDIND_ROOT/tests/hosts

key() {
	(
		cd "$HERE"
		echo "$SUITE $PACKAGES $DISK_SIZE"
		find build.sh root -type f | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done
	) | sha256sum | cut -c1-16
}

need() {
	command -v "$1" >/dev/null && return 0
	log "installing $2 from Debian" >&2
	apt_get update -qq
	apt_get install -y -qq --no-install-recommends "$2" >/dev/null
}

# In the chroot: the configuration files and the services enabled. The
# initramfs, made by the kernel's package in the second stage, holds only
# what mounting /dev/vda needs (root/etc/initramfs-tools: a small one is
# unpacked in a moment even under emulation).
configure() {
	root=$1
	cp -R "$HERE/root/." "$root/"
	echo ndind-guest >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 ndind-guest\n' >"$root/etc/hosts"
	printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$root/etc/fstab"
	# QEMU's user network answers DNS on 10.0.2.3 (only Debian's mirror is
	# ever asked for, and only when a test pulls nothing: a guest never does).
	rm -f "$root/etc/resolv.conf"
	echo 'nameserver 10.0.2.3' >"$root/etc/resolv.conf"
	chmod 0755 "$root/usr/local/sbin/ndind-authorized-key"
	systemctl --root="$root" enable systemd-networkd ndind-authorized-key docker ssh >/dev/null 2>&1
	# Timers and jobs that only cost time in a guest that lives for minutes.
	# apparmor.service compiles the distribution's profiles at every boot
	# (about 70 s of a 200 s boot under TCG, seen on the console); the kernel
	# keeps AppArmor on, and dockerd still loads its docker-default profile
	# with the package's apparmor_parser, as on a Debian host.
	systemctl --root="$root" mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
		e2scrub_reap.service systemd-timesyncd.service apparmor.service >/dev/null 2>&1
	[ "$(grep -c '^MODULES=list' "$root/etc/initramfs-tools/conf.d/ndind")" = 1 ] ||
		die "the initramfs settings of root/etc/initramfs-tools are not in $root"
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

build() {
	out=$1
	need debootstrap debootstrap
	need mkfs.ext4 e2fsprogs
	runs_arch "$ARCH" || die "debootstrap --arch $ARCH needs a binfmt handler for it here (Debian's qemu-user-static)"
	tmp=$out.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	root=$tmp/root
	# Two stages, so that the initramfs settings are in place before the
	# kernel's package is configured: its initramfs is then the small one,
	# made once. In one stage it was the default one, made twice (the
	# kernel, then initramfs-tools' trigger): under emulation (arm64 on this
	# amd64 machine) each took over 20 minutes, mostly zstd -9 of 112 MB.
	log "debootstrap --arch $ARCH $SUITE (+ $PACKAGES) into $root, two stages; log: $tmp/debootstrap.log" >&2
	debootstrap --foreign --arch "$ARCH" --variant=minbase --include="$PACKAGES" "$SUITE" "$root" http://deb.debian.org/debian \
		>"$tmp/debootstrap.log" 2>&1 || die "debootstrap (first stage) failed; see $tmp/debootstrap.log"
	mkdir -p "$root/etc/initramfs-tools"
	cp -R "$HERE/root/etc/initramfs-tools/." "$root/etc/initramfs-tools/"
	chroot "$root" /debootstrap/debootstrap --second-stage >>"$tmp/debootstrap.log" 2>&1 ||
		die "debootstrap (second stage) failed; see $tmp/debootstrap.log"
	log "configuring the guest root (services, initramfs)" >&2
	configure "$root"
	cp "$root/boot/vmlinuz-"* "$tmp/vmlinuz"
	cp "$root/boot/initrd.img-"* "$tmp/initrd.img"
	ls "$root/lib/modules" >"$tmp/kernel-release"
	log "mkfs.ext4 -d: a $DISK_SIZE ext4 image of the root (sparse, nothing mounted)" >&2
	mkfs.ext4 -q -F -L ndind-guest -d "$root" "$tmp/disk.img" "$DISK_SIZE" >&2 || die "mkfs.ext4 -d failed for $root"
	rm -rf "$root"
	mv "$tmp" "$out"
}

dir=$NDIND_CACHE/guests/$(key)
if [ ! -s "$dir/disk.img" ]; then
	t0=$(date +%s)
	build "$dir"
	log "guest disk ready in $(($(date +%s) - t0)) s: $dir (kernel $(cat "$dir/kernel-release"))" >&2
fi
echo "$dir"
