#!/bin/sh
# busybox:ndind for another architecture than this machine's, as a tarball a
# stack preloads: Debian's static busybox of that architecture (downloaded in
# the Debian build container, nerdctl/debian.sh), with links for the applets
# the tests run. The arm64 guest's stacks stream it (the toolchain's
# busybox.tar is this machine's own). Never runs the binary here.
#   sh tests/hosts/busybox.sh ARCH      prints the tarball's path
set -eu
. "$(dirname "$0")/../../toolchain/lib.sh"
. "$NDIND_ROOT/nerdctl/debian.sh"

ARCH=$(go_arch "${1:?usage: busybox.sh amd64|arm64}")
# Tagged busybox:ndind, as the tests name it; a name of its own in the cache.
TAR=$NDIND_CACHE/images/busybox-ndind-$ARCH.tar
APPLETS="sh ash cat echo ls mkdir rm sleep true false uname wget httpd id env ps grep sed head tail tr wc date hostname nc ping touch cp mv ln chmod"
if [ ! -s "$TAR" ]; then
	mkdir -p "$NDIND_CACHE/images"
	work=$(mktemp -d "$NDIND_CACHE/images/.busybox-$ARCH.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	log "busybox-static:$ARCH from Debian, in the build container"
	in_debian "$work" sh -c 'cd "$1" && apt-get -q -o APT::Sandbox::User=root download "busybox-static:$2" >&2 &&
		dpkg-deb -x busybox-static_*.deb deb' sh "$work" "$ARCH"
	mkdir -p "$work/root/bin" "$work/root/www" "$work/root/tmp"
	cp "$work/deb/bin/busybox" "$work/root/bin/busybox"
	for a in $APPLETS; do ln -s busybox "$work/root/bin/$a"; done
	tar -C "$work/root" -cf "$work/rootfs.tar" .
	rootfs_archive "$work/rootfs.tar" busybox:ndind "$ARCH" '["sh"]' >"$work/image.tar"
	mv "$work/image.tar" "$TAR"
	log "cached $TAR (busybox:ndind, linux/$ARCH)"
fi
echo "$TAR"
