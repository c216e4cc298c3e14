#!/bin/sh
# The tools the wrapper's scripts, CNI and nerdctl run that a base image may
# lack: iptables with both backends (legacy and nft), nft, conntrack, ip and
# curl; mke2fs, resize2fs, losetup and fstrim for the image-file storage
# layout (scripts/storage.sh); for the bundle's architecture (NDIND_ARCH, amd64
# or arm64). Usage: tools.sh WORK OUT (build.sh's component step runs it in
# the Debian build container, debian.sh); OUT gets a root overlay:
#   usr/local/sbin/xtables-legacy-multi, xtables-nft-multi, nft, conntrack, ip,
#                  mke2fs, resize2fs, losetup, fstrim
#   usr/local/bin/curl
#   usr/local/lib/nerdctl-dind/  their shared libraries and their own glibc
#   usr/local/lib/xtables/       iptables' extensions
#
# Why Debian's binary packages, relocated, and not a static build: a static
# iptables-nft needs libmnl and libnftnl built from source, and Debian's mirror
# (the one source reachable here) has no source for them; its binary packages
# carry both backends of one release. Each binary keeps its libraries, glibc
# and loader included, in a folder of its own (patchelf sets the loader and
# the search path), so it runs on Alpine's musl as on any Debian, and never
# meets a library of the base image. Nothing is fetched when the image builds.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"

ARCH=${NDIND_ARCH:?NDIND_ARCH is not set}
case $ARCH in
amd64) TRIPLET=x86_64-linux-gnu LOADER=ld-linux-x86-64.so.2 ;;
arm64) TRIPLET=aarch64-linux-gnu LOADER=ld-linux-aarch64.so.1 ;;
*) die "no tools for $ARCH" ;;
esac
# Each of the architecture asked for, whichever the container's own is.
PACKAGES="iptables:$ARCH nftables:$ARCH conntrack:$ARCH iproute2:$ARCH curl:$ARCH e2fsprogs:$ARCH mount:$ARCH util-linux:$ARCH"
LIBDIR=/usr/local/lib/nerdctl-dind
# libxtables looks for extensions in the folder compiled into it, unless
# XTABLES_LIBDIR is set, and CNI plugins run iptables with an environment of
# their own. So the compiled-in path is rewritten in place, to a path no
# longer than Debian's.
DEBIAN_XTABLES=/usr/lib/$TRIPLET/xtables
OUR_XTABLES=/usr/local/lib/xtables

work=$1 out=$2
debs=$work/debs root=$work/root
mkdir -p "$debs" "$root" "$out$LIBDIR" "$out$OUR_XTABLES" "$out/usr/local/sbin" "$out/usr/local/bin"

for tool in patchelf readelf perl apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || die "no $tool here: tools.sh runs in the Debian build container (nerdctl/debian.sh)"
done

# The packages and every package they depend on, as apt resolves them on this
# Debian release (only the libraries the binaries need are kept).
closure() {
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances $PACKAGES | grep -v '^[ <]' | sort -u
}
pkgs=$(closure)
[ -n "$pkgs" ] || { apt-get update -q >&2 && pkgs=$(closure); }
[ -n "$pkgs" ] || die "apt-cache found no packages for $PACKAGES"
say "downloading $(echo "$pkgs" | wc -l) Debian packages for $PACKAGES"
# shellcheck disable=SC2086 # one package per word
(cd "$debs" && apt-get -o APT::Sandbox::User=root download $pkgs) >&2 ||
	{ apt-get update -q >&2 && (cd "$debs" && apt-get -o APT::Sandbox::User=root download $pkgs) >&2; } ||
	die "apt-get download failed for: $(echo $pkgs)"
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
dpkg-deb -f "$(ls "$debs"/iptables_*.deb)" Version >"$out$LIBDIR/.iptables-version"

# Where a NEEDED library is found in the unpacked packages.
find_lib() {
	for d in lib/$TRIPLET usr/lib/$TRIPLET lib64 lib; do
		[ -e "$root/$d/$1" ] && { echo "$root/$d/$1"; return; }
	done
	die "$1 is in no downloaded package (needed by $2)"
}

# Copies the libraries ELF file $1 needs, and theirs, into LIBDIR.
copy_needed() {
	for lib in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$out$LIBDIR/$lib" ] && continue
		src=$(find_lib "$lib" "$1") || exit 1
		cp -L "$src" "$out$LIBDIR/$lib"
		copy_needed "$out$LIBDIR/$lib"
	done
}

install_bin() { # SOURCE DEST
	cp "$root/$1" "$out/$2"
	copy_needed "$out/$2"
	patchelf --set-interpreter "$LIBDIR/$LOADER" --force-rpath --set-rpath "$LIBDIR" "$out/$2"
}

install_bin usr/sbin/xtables-legacy-multi usr/local/sbin/xtables-legacy-multi
install_bin usr/sbin/xtables-nft-multi usr/local/sbin/xtables-nft-multi
install_bin usr/sbin/nft usr/local/sbin/nft
install_bin usr/sbin/conntrack usr/local/sbin/conntrack
install_bin bin/ip usr/local/sbin/ip
install_bin usr/bin/curl usr/local/bin/curl
for tool in mke2fs resize2fs losetup fstrim; do install_bin "sbin/$tool" "usr/local/sbin/$tool"; done
# mke2fs knows ext4 only from its configuration file, which Alpine lacks.
cp "$root/etc/mke2fs.conf" "$out$LIBDIR/mke2fs.conf"
for ext in "$root$DEBIAN_XTABLES"/*.so; do
	cp "$ext" "$out$OUR_XTABLES/"
	copy_needed "$ext"
done
loader=$(find_lib "$LOADER" loader) || exit 1
cp -L "$loader" "$out$LIBDIR/$LOADER"
# Libraries (and extensions) find theirs in LIBDIR too.
for lib in "$out$LIBDIR"/*.so* "$out$OUR_XTABLES"/*.so; do
	case $lib in */"$LOADER" | */libc.so.6) continue ;; esac
	patchelf --force-rpath --set-rpath "$LIBDIR" "$lib"
done

xt=$out$LIBDIR/libxtables.so.12
[ "$(grep -c -a "$DEBIAN_XTABLES" "$xt")" = 1 ] || die "$xt does not hold $DEBIAN_XTABLES once"
FROM=$DEBIAN_XTABLES TO=$OUR_XTABLES perl -0777 -pi -e \
	's/\Q$ENV{FROM}\E\0/$ENV{TO} . "\0" x (length($ENV{FROM}) - length($ENV{TO}) + 1)/e' "$xt"
grep -q -a "$OUR_XTABLES" "$xt" || die "could not point $xt at $OUR_XTABLES"

# Each tool answers through its own loader (the absolute paths it names exist
# only in the image); where linux/ARCH binaries cannot run (build.sh found
# no binfmt handler), they are only read.
run_tool() { "$out$LIBDIR/$LOADER" --library-path "$out$LIBDIR" "$@"; }
[ "${RUNS_HERE:-yes}" = yes ] || say "  linux/$ARCH binaries do not run here: the tools are not run"
[ "${RUNS_HERE:-yes}" = no ] || for check in "xtables-legacy-multi iptables -V" "xtables-nft-multi iptables -V" "nft --version" \
	"conntrack --version" "ip -V" "curl --version" "mke2fs -V" "resize2fs" "losetup -V" "fstrim -V"; do
	set -- $check
	bin=$out/usr/local/sbin/$1
	[ -e "$bin" ] || bin=$out/usr/local/bin/$1
	shift
	v=$(run_tool "$bin" "$@" 2>&1 | head -n 1) || die "$check does not run: $v"
	say "  $v"
done
say "tools for linux/$ARCH: $(du -sh "$out" | cut -f1) ($(ls "$out$LIBDIR" | wc -l) libraries)"
