#!/bin/sh
# Offline images for tests and offline users, since no registry is reachable:
#  - nerdctl-dind/base:bookworm, a Debian minbase root from debootstrap;
#  - nerdctl-dind/base:alpine-3.23 (toolchain/alpine-base.sh), the wrapper's
#    base when Alpine cannot be pulled;
#  - busybox:ndind, a static busybox saved as a tarball that the inner
#    containerd loads (docker save -> nerdctl load).
# Each is cached as a tarball outside the checkout and imported when missing.
# Usage: base-image.sh              all three, for this machine's engine
#        base-image.sh --base TAG --arch ARCH [--as NAME]
#            only that base (nerdctl-dind/base:bookworm or :alpine-3.23) for
#            linux/ARCH, imported (as NAME, if given) into the engine the
#            docker CLI talks to (DOCKER_HOST: a remote one too); the
#            wrapper's base copy step runs it for a remote engine of another
#            architecture, so an arm64 base is made only when a stack needs one.
set -eu
. "$(dirname "$0")/lib.sh"

SUITE=bookworm
# The wrapper's own needs: iptables for CNI, iproute2 for diagnostics, curl for
# probing published ports from inside, ca-certificates so pulls work where
# a registry is reachable.
PACKAGES=iptables,iproute2,curl,ca-certificates,procps
BASE_TAG=${NDIND_BASE_IMAGE:-nerdctl-dind/base:$SUITE}
BUSYBOX_TAG=busybox:ndind
DIR="$NDIND_CACHE/images"
ONLY='' ARCH='' AS=''
while [ $# -gt 0 ]; do
	case $1 in
	--base) ONLY=$2 ;;
	--arch) ARCH=$(go_arch "$2") ;;
	--as) AS=$2 ;;
	*) die "usage: base-image.sh [--base TAG --arch ARCH [--as NAME]]" ;;
	esac
	shift 2
done
[ -n "$ARCH" ] || ARCH=$(engine_arch)
case $ARCH in amd64 | arm64) ;; *) die "no offline bases for $ARCH: amd64 or arm64" ;; esac
# amd64 keeps the name it had before there was a choice.
BASE_TAR="$DIR/base-$SUITE$([ "$ARCH" = amd64 ] || echo "-$ARCH")-$(echo "$PACKAGES" | cksum | cut -d' ' -f1).tar"
BUSYBOX_TAR="$DIR/busybox.tar"

make_base_tar() {
	[ -s "$BASE_TAR" ] && return 0
	need debootstrap debootstrap
	# Its second stage runs the packages' scripts in the root.
	runs_arch "$ARCH" || die "debootstrap --arch $ARCH cannot run its second stage here: register a binfmt handler for it (Debian's qemu-user-static)"
	root=$(mktemp -d)
	log "debootstrap --arch $ARCH --variant=minbase $SUITE (+ $PACKAGES) into $root"
	debootstrap --arch "$ARCH" --variant=minbase --include="$PACKAGES" "$SUITE" "$root" \
		http://deb.debian.org/debian >"$DIR/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $DIR/debootstrap.log"
	# apt lists and caches are dead weight in an image that never runs apt offline.
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	tar -C "$root" -cf "$BASE_TAR.tmp" .
	mv "$BASE_TAR.tmp" "$BASE_TAR"
	rm -rf "$root"
}

make_busybox_tar() {
	[ -s "$BUSYBOX_TAR" ] && return 0
	need busybox busybox-static
	bb=/bin/busybox
	[ -x "$bb" ] || die "no static busybox at $bb"
	root=$(mktemp -d)
	mkdir -p "$root/bin" "$root/www" "$root/tmp"
	cp "$bb" "$root/bin/busybox"
	for applet in $("$root/bin/busybox" --list); do
		[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	done
	log "importing $BUSYBOX_TAG and saving it to $BUSYBOX_TAR"
	tar -C "$root" -c . | docker import -c 'CMD ["sh"]' - "$BUSYBOX_TAG" >/dev/null
	docker save "$BUSYBOX_TAG" -o "$BUSYBOX_TAR.tmp"
	mv "$BUSYBOX_TAR.tmp" "$BUSYBOX_TAR"
	rm -rf "$root"
}

mkdir -p "$DIR"
case $ONLY in
"") ;;
"$BASE_TAG")
	make_base_tar
	log "importing ${AS:-$BASE_TAG} (linux/$ARCH)"
	load_rootfs "$BASE_TAR" "${AS:-$BASE_TAG}" "$ARCH" '["/bin/bash"]'
	exit 0
	;;
nerdctl-dind/base:alpine-*) exec sh "$(dirname "$0")/alpine-base.sh" --arch "$ARCH" ${AS:+--as "$AS"} ;;
*) die "$ONLY is not an offline base this script makes (nerdctl-dind/base:$SUITE, nerdctl-dind/base:alpine-3.23)" ;;
esac
make_base_tar
if ! docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
	log "importing $BASE_TAG"
	docker import -c 'CMD ["/bin/bash"]' "$BASE_TAR" "$BASE_TAG" >/dev/null
fi
sh "$(dirname "$0")/alpine-base.sh"
make_busybox_tar
docker image inspect "$BUSYBOX_TAG" >/dev/null 2>&1 || docker load -q -i "$BUSYBOX_TAR" >/dev/null
log "offline images ready: $BASE_TAG, nerdctl-dind/base:alpine-3.23, $BUSYBOX_TAG ($BUSYBOX_TAR)"
