#!/bin/sh
# The image the wrapper's probe (scripts/probe.sh) runs to prove that an
# inner container starts and a published port answers: Debian's static
# busybox serving one page with httpd, for the bundle's architecture
# (NDIND_ARCH). Usage: probe-image.sh WORK OUT, in the Debian build container
# (debian.sh); OUT
# gets usr/local/share/nerdctl-dind/probe.tar, an OCI archive that
# `nerdctl load` takes. Written by hand (no engine needed), byte for byte the
# same on every run, so its digest only changes with busybox.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"

NAME=nerdctl-dind/probe
TAG=1
ARCH=${NDIND_ARCH:?NDIND_ARCH is not set}
work=$1 out=$2
mkdir -p "$work/root/bin" "$work/root/www" "$work/blobs/sha256" "$out/usr/local/share/nerdctl-dind"

(cd "$work" && apt-get -o APT::Sandbox::User=root download "busybox-static:$ARCH") >&2 ||
	{ apt-get update -q >&2 && (cd "$work" && apt-get -o APT::Sandbox::User=root download "busybox-static:$ARCH") >&2; } ||
	die "apt-get download busybox-static:$ARCH failed"
dpkg-deb -x "$work"/busybox-static_*.deb "$work/deb"
cp "$work/deb/bin/busybox" "$work/root/bin/busybox"
ln -s busybox "$work/root/bin/sh"
echo "nerdctl-dind probe" >"$work/root/www/index.html"

# BLOB FILE: stores FILE under its digest; prints "digest size".
blob() {
	d=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$work/blobs/sha256/$d"
	echo "sha256:$d $(wc -c <"$work/blobs/sha256/$d")"
}
tar_sorted() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$@"; }

tar_sorted "$work/layer" -C "$work/root" .
# shellcheck disable=SC2046 # blob prints two words, split on purpose
set -- $(blob "$work/layer")
layer=$1 layer_size=$2
printf '%s' '{"architecture":"'"$ARCH"'","os":"linux","config":{"Cmd":["/bin/busybox","httpd","-f","-p","8080","-h","/www"]},"rootfs":{"type":"layers","diff_ids":["'"$layer"'"]}}' >"$work/config"
# shellcheck disable=SC2046 # blob prints two words, split on purpose
set -- $(blob "$work/config")
config=$1 config_size=$2
printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"'"$config"'","size":'"$config_size"'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"'"$layer"'","size":'"$layer_size"'}]}' >"$work/manifest"
# shellcheck disable=SC2046 # blob prints two words, split on purpose
set -- $(blob "$work/manifest")
printf '%s' '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"'"$1"'","size":'"$2"',"annotations":{"io.containerd.image.name":"docker.io/'"$NAME:$TAG"'","org.opencontainers.image.ref.name":"'"$TAG"'"}}]}' >"$work/index.json"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
tar_sorted "$out/usr/local/share/nerdctl-dind/probe.tar" -C "$work" oci-layout index.json blobs
say "probe image $NAME:$TAG (linux/$ARCH): $(wc -c <"$out/usr/local/share/nerdctl-dind/probe.tar") bytes, manifest $1"
