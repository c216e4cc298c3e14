#!/bin/sh
# busybox:ndind-arm64, a linux/arm64 image made offline for the
# foreign-architecture test (tests/e2e/foreign.test.ts) and for trying
# `make binfmt` by hand: Debian's busybox-static:arm64 unpacked, its applet
# links, and nothing else. The host's apt is asked through a state folder of
# this script's own (arm64 lists, no `dpkg --add-architecture`), so the
# machine's package setup is left as it was. Docker 20.10 ignores
# `docker import --platform` and builds for another platform only with
# buildx, so the image is assembled as a `docker save` archive (config with
# "architecture": "arm64") and given to `docker load`. Cached as a tarball in
# $NDIND_CACHE/images; each run loads it when the engine lacks the image.
# Prints the image's name last.
set -eu
. "$(dirname "$0")/lib.sh"

TAG=busybox:ndind-arm64
DIR=$NDIND_CACHE/images
TAR=$DIR/busybox-arm64.tar
# A fixed date (bookworm's release), so the same package gives the same image ID.
CREATED=2023-06-10T00:00:00Z

make_tar() {
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
		die "$TAG is made from Debian's busybox-static:arm64: this machine has no apt-get or dpkg-deb"
	# The applet names: the host's static busybox, the same Debian source
	# package (its --list runs here; the arm64 one would need qemu).
	need busybox busybox-static
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	apt="apt-get -q -o Dir::State::Lists=$work/lists -o Dir::State::status=/dev/null
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root
		-o APT::Architecture=arm64 -o APT::Architectures::=arm64"
	mkdir -p "$work/lists/partial" "$work/deb" "$work/x" "$work/root/bin" "$work/root/tmp" "$work/image/layer"
	log "$TAG: apt-get update for arm64 into a state folder of this run's own ($work/lists)"
	$apt update >"$work/apt.log" 2>&1 || die "apt-get update (arm64) failed: $(tail -n 3 "$work/apt.log")"
	log "$TAG: apt-get download busybox-static:arm64"
	(cd "$work/deb" && $apt download busybox-static:arm64) >>"$work/apt.log" 2>&1 ||
		die "apt-get download busybox-static:arm64 failed: $(tail -n 3 "$work/apt.log")"
	deb=$(ls "$work"/deb/*.deb)
	version=$(dpkg-deb -f "$deb" Version)
	dpkg-deb -x "$deb" "$work/x"
	cp "$work/x/bin/busybox" "$work/root/bin/busybox"
	for applet in $(busybox --list); do
		[ -e "$work/root/bin/$applet" ] || ln -s busybox "$work/root/bin/$applet"
	done
	chmod 1777 "$work/root/tmp"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-C "$work/root" -cf "$work/image/layer/layer.tar" .
	diff=$(sha256sum "$work/image/layer/layer.tar" | cut -d' ' -f1)
	printf '%s' "{\"architecture\":\"arm64\",\"os\":\"linux\",\"created\":\"$CREATED\",\
\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"]},\
\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff\"]},\
\"history\":[{\"created\":\"$CREATED\",\"created_by\":\"Debian busybox-static $version arm64, unpacked with its applet links\"}]}" \
		>"$work/image/config.json"
	config=$(sha256sum "$work/image/config.json" | cut -d' ' -f1)
	mv "$work/image/config.json" "$work/image/$config.json"
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["layer/layer.tar"]}]' "$config" "$TAG" \
		>"$work/image/manifest.json"
	tar -C "$work/image" -cf "$TAR.tmp" manifest.json "$config.json" layer
	mv "$TAR.tmp" "$TAR"
	log "$TAG: busybox-static $version (arm64), $(($(wc -c <"$TAR") / 1024)) KiB, saved to $TAR"
}

mkdir -p "$DIR"
[ -s "$TAR" ] || make_tar
if ! docker image inspect "$TAG" >/dev/null 2>&1; then
	log "$TAG: docker load -i $TAR"
	docker load -q -i "$TAR" >/dev/null
fi
arch=$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$TAG")
[ "$arch" = linux/arm64 ] || die "$TAG is $arch on the engine, not linux/arm64"
log "$TAG ready ($arch, $(docker image inspect -f '{{.Id}}' "$TAG"))"
echo "$TAG"
