#!/bin/sh
# tini for the bundle's architecture (NDIND_ARCH), out of Debian's package,
# which ships a static one (tini-static). Usage: tini.sh WORK OUT VERSION;
# run in the Debian build container (debian.sh), like tools.sh. OUT gets tini.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"

work=$1 out=$2 want=$3
arch=${NDIND_ARCH:?NDIND_ARCH is not set}
mkdir -p "$work" "$out"
say "apt-get download tini:$arch"
(cd "$work" && apt-get -o APT::Sandbox::User=root download "tini:$arch") >&2 ||
	{ apt-get update -q >&2 && (cd "$work" && apt-get -o APT::Sandbox::User=root download "tini:$arch") >&2; } ||
	die "apt-get download tini:$arch failed"
deb=$(ls "$work"/tini_*.deb)
v=$(dpkg-deb -f "$deb" Version)
case $v in
"$want"-*) ;;
*) die "Debian's tini is $v, not $want; set TINI_VERSION=${v%%-*}" ;;
esac
dpkg-deb -x "$deb" "$work/root"
cp "$work/root/usr/bin/tini-static" "$out/tini"
