#!/bin/sh
# Offline images for tests and offline users, since no registry is reachable:
#  - nerdctl-dind/base:bookworm, a Debian minbase root from debootstrap;
#  - nerdctl-dind/base:alpine-3.23 (toolchain/alpine-base.sh), the wrapper's
#    base when Alpine cannot be pulled;
#  - busybox:ndind, a static busybox saved as a tarball that the inner
#    containerd loads (docker save -> nerdctl load).
# Each is cached as a tarball outside the checkout and imported when missing.
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
BASE_TAR="$DIR/base-$SUITE-$(echo "$PACKAGES" | cksum | cut -d' ' -f1).tar"
BUSYBOX_TAR="$DIR/busybox.tar"

make_base_tar() {
	[ -s "$BASE_TAR" ] && return 0
	need debootstrap debootstrap
	root=$(mktemp -d)
	log "debootstrap --variant=minbase $SUITE (+ $PACKAGES) into $root"
	debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" \
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
make_base_tar
if ! docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
	log "importing $BASE_TAG"
	docker import -c 'CMD ["/bin/bash"]' "$BASE_TAR" "$BASE_TAG" >/dev/null
fi
sh "$(dirname "$0")/alpine-base.sh"
make_busybox_tar
docker image inspect "$BUSYBOX_TAG" >/dev/null 2>&1 || docker load -q -i "$BUSYBOX_TAR" >/dev/null
log "offline images ready: $BASE_TAG, nerdctl-dind/base:alpine-3.23, $BUSYBOX_TAG ($BUSYBOX_TAR)"
