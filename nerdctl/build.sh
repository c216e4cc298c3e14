#!/bin/sh
# Builds the whole bundle, not only nerdctl: static linux containerd, runc,
# CNI plugins, our patched nerdctl, tini and BuildKit; iptables, nft,
# conntrack, ip and curl with their own libraries (tools.sh); the probe's
# image (probe-image.sh); all for one architecture, amd64 or arm64. What
# needs Debian's packages runs in the Debian build container (debian.sh), so
# the host needs Docker and Go. The result is a root overlay in nerdctl/out/;
# the folder's name is the last stdout line; logs go to stderr.
# Usage: dir=nerdctl/out/$(nerdctl/build.sh)
# With --key it only prints the KEY (nothing is built; the module proxy is
# asked whether it serves each release, and nerdctl's module is fetched for
# its Dockerfile's pins); with
# --dir-key the name of its folder in nerdctl/out/, which is the KEY except
# for a bundle built from nerdctl/src: one folder, whatever its content hash;
# with --keys both, KEY first, one a line, then the versions of the CNI
# plugins, BuildKit (unless left out) and tini as NAME=VERSION lines (the
# program's one call at preview: it shows them and builds with them).
# With --nerdctl-only it builds the nerdctl component alone (make up starts
# that for nerdctl/src while Pulumi starts: early-build.sh).
#   CONTAINERD_VERSION RUNC_VERSION NERDCTL_VERSION
#                      default: the Pulumi.yaml config defaults
#   CNI_PLUGINS_VERSION BUILDKIT_VERSION TINI_VERSION  default: what the nerdctl
#                      release's full bundle pins (its Dockerfile; 1.5.0: CNI
#                      plugins 1.3.0, BuildKit 0.12.0, tini 0.19.0)
#   NDIND_ARCH=amd64|arm64 the engine's architecture (the program gives it);
#                          default: the local engine's
#   NDIND_BUILDKIT=false   leave BuildKit out
#   NERDCTL_PATCHES=none   nerdctl without our patches
#   NDIND_REBUILD=1        rebuild components even when cached; or a list of
#                          the ones to rebuild: NDIND_REBUILD="runc tools"
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
. "$here/modules.sh"
. "$here/build-steps.sh"
. "$here/debian.sh"
export LC_ALL=C

ARCH=${NDIND_ARCH:-$(engine_arch)}
case $ARCH in
amd64) TRIPLET=x86_64-linux-gnu ELF_ARCH=x86-64 ;;
arm64) TRIPLET=aarch64-linux-gnu ELF_ARCH="ARM aarch64" ;;
*) die "NDIND_ARCH is '$ARCH': the bundle is built for amd64 or arm64" ;;
esac
# Whether this machine runs the bundle's binaries (natively, or through a
# binfmt_misc handler such as qemu-user-static's): the checks that run them
# are done then; otherwise the binaries are only read (file, the version text).
RUNS_HERE=no
[ "$(uname -s)" != Linux ] || ! runs_arch "$ARCH" || RUNS_HERE=yes
export ARCH TRIPLET RUNS_HERE

pin() { # ENV_VALUE PULUMI_KEY: the env override or the Pulumi.yaml default
	v=${1:-$(pulumi_default "$2")}
	[ -n "$v" ] || die "no version for $2"
	echo "${v#v}"
}
CONTAINERD_VERSION=$(pin "${CONTAINERD_VERSION:-}" containerdVersion)
RUNC_VERSION=$(pin "${RUNC_VERSION:-}" runcVersion)
CNI_PLUGINS_VERSION=${CNI_PLUGINS_VERSION:-}
CNI_PLUGINS_VERSION=${CNI_PLUGINS_VERSION#v}
NERDCTL_VERSION=$(pin "${NERDCTL_VERSION:-}" nerdctlVersion)
export NERDCTL_VERSION
case ${NDIND_BUILDKIT:-true} in
true | false) ;;
*) die "NDIND_BUILDKIT is '$NDIND_BUILDKIT': give true or false" ;;
esac

module_cache >/dev/null # asked here, not in each $(...) below
# Every release the module proxy refuses, named at once (and at preview,
# which runs --key); answers are cached, so this costs milliseconds.
problems=
add_problem() { [ -z "$1" ] || problems="$problems
  - $1"; }
add_problem "$(module_problem nerdctl "$NERDCTL_VERSION")"
add_problem "$(module_problem containerd "$CONTAINERD_VERSION")"
add_problem "$(module_problem runc "$RUNC_VERSION")"
[ -z "$CNI_PLUGINS_VERSION" ] || add_problem "$(module_problem cni "$CNI_PLUGINS_VERSION")"
[ -n "$problems" ] || {
	# The CNI plugins, BuildKit and tini the stack leaves unset, as this
	# nerdctl release's full bundle has them, so they follow the release.
	ndir=$(module_dir nerdctl "$NERDCTL_VERSION")
	[ -n "$CNI_PLUGINS_VERSION" ] || {
		CNI_PLUGINS_VERSION=$(release_pin "$ndir" CNI_PLUGINS_VERSION)
		[ -n "$CNI_PLUGINS_VERSION" ] || die "nerdctl $NERDCTL_VERSION's Dockerfile pins no CNI_PLUGINS_VERSION: set cniPluginsVersion"
		add_problem "$(module_problem cni "$CNI_PLUGINS_VERSION")"
	}
	BUILDKIT_VERSION=${BUILDKIT_VERSION:-$(release_pin "$ndir" BUILDKIT_VERSION)}
	TINI_VERSION=${TINI_VERSION:-$(release_pin "$ndir" TINI_VERSION)}
	[ -n "$BUILDKIT_VERSION" ] && [ -n "$TINI_VERSION" ] ||
		die "nerdctl $NERDCTL_VERSION's Dockerfile pins no BUILDKIT_VERSION or TINI_VERSION: set both"
	[ "${NDIND_BUILDKIT:-true}" = false ] || add_problem "$(module_problem buildkit "$BUILDKIT_VERSION")"
}
[ -z "$problems" ] || die "the Go module proxy refuses releases of this bundle:$problems"

ntag=$("$here/tree-to-build.sh" --tag)
# The tools and the probe image follow Debian's packages of this release, and
# the scripts that make them.
TOOLS_KEY=$(cat "$here/tools.sh" "$here/probe-image.sh" "$here/tini.sh" "$here/debian.sh" | cksum | cut -d' ' -f1)
KEY=containerd-${CONTAINERD_VERSION}_runc-${RUNC_VERSION}_cni-${CNI_PLUGINS_VERSION}_nerdctl-${NERDCTL_VERSION}-${ntag}_tini-$TINI_VERSION
[ "${NDIND_BUILDKIT:-true}" = false ] || KEY=${KEY}_buildkit-$BUILDKIT_VERSION
# The architecture last: one key, one architecture, never two.
KEY=${KEY}_tools-${TOOLS_KEY}_arch-$ARCH
# Built from nerdctl/src, every edit has its own KEY (so the bundle step runs
# again) but the folders and the nerdctl component are one, rebuilt in place.
case $ntag in
src-*) DIRKEY=$(echo "$KEY" | sed "s/-${ntag}_/-src_/") nname=nerdctl-$NERDCTL_VERSION-src-$ARCH ;;
*) DIRKEY=$KEY nname=nerdctl-$NERDCTL_VERSION-$ntag-$ARCH ;;
esac
[ "${1:-}" = --key ] && { echo "$KEY"; exit 0; }
[ "${1:-}" = --dir-key ] && { echo "$DIRKEY"; exit 0; }
[ "${1:-}" = --keys ] && {
	echo "$KEY" && echo "$DIRKEY" && echo "CNI_PLUGINS_VERSION=$CNI_PLUGINS_VERSION"
	[ "${NDIND_BUILDKIT:-true}" = false ] || echo "BUILDKIT_VERSION=$BUILDKIT_VERSION"
	echo "TINI_VERSION=$TINI_VERSION"
	exit 0
}

# Other pins are the stack's settings; the log says where they differ from
# the release's own.
pins=
for c in CONTAINERD RUNC CNI_PLUGINS; do
	want=$(release_pin "$ndir" "${c}_VERSION")
	have=$(eval echo "\$${c}_VERSION")
	[ -z "$want" ] || [ "$want" = "$have" ] || pins="$pins, ${c}_VERSION $have (the release pins $want)"
done
[ -z "$pins" ] || pins="; differs from nerdctl $NERDCTL_VERSION's Dockerfile:${pins#,}"
say "linux/$ARCH: nerdctl $NERDCTL_VERSION with containerd $CONTAINERD_VERSION, runc $RUNC_VERSION, CNI plugins $CNI_PLUGINS_VERSION, BuildKit $BUILDKIT_VERSION, tini $TINI_VERSION$pins"

nsrc=$("$here/tree-to-build.sh")
case $ntag in
src-*) [ -d "$nsrc/.git" ] || die "tree-to-build.sh gave $nsrc, not a git tree" ;;
*)
	# A differing tree means the patches changed while we ran.
	if [ "$nsrc" != "$NDIND_CACHE/src/nerdctl-$NERDCTL_VERSION-$ntag" ] || [ ! -f "$nsrc/.ndind-ready" ]; then
		die "tree-to-build.sh gave $nsrc, not the tree of patches $ntag; run again"
	fi
	;;
esac

command -v flock >/dev/null || die "flock is missing: install util-linux"
export GOOS=linux GOARCH=$ARCH GOFLAGS="-mod=mod -trimpath -buildvcs=false"
mkdir -p "$NDIND_CACHE/build" "$NDIND_CACHE/bundle"
work=$(mktemp -d "$NDIND_CACHE/build/.work.XXXXXX")
outtmp=
trap 'rm -rf "$work" ${outtmp:+"$outtmp"}' EXIT

# NAME: is it to be rebuilt though cached (NDIND_REBUILD)?
rebuild_asked() {
	case ${NDIND_REBUILD:-} in "") return 1 ;; 1) return 0 ;; esac
	for c in $NDIND_REBUILD; do case $1 in "$c"-[0-9]*) return 0 ;; esac; done
	return 1
}

# NAME BUILDFN [STAMP]: runs BUILDFN SRC OUT unless $NDIND_CACHE/build/NAME
# is there (built from STAMP, if given); the result lands atomically, so a
# killed build leaves nothing. One build of NAME at a time: a second run
# (make up's early nerdctl build and the bundle step) waits for the first
# and then finds its result. NAME ends in the architecture.
component() {
	dest=$NDIND_CACHE/build/$1
	exec 9>"$NDIND_CACHE/build/.$1.lock"
	flock 9
	# Built before names said the architecture, a component was amd64: an
	# amd64 build takes it over (hard links), so it is not built again.
	old=$NDIND_CACHE/build/${1%-amd64}
	if [ "$ARCH" = amd64 ] && [ ! -e "$dest" ] && [ -f "$old/.ndind-ready" ] && ! rebuild_asked "$1" &&
		{ [ -z "${3:-}" ] || grep -qx "stamp=$3" "$old/.ndind-ready"; }; then
		cp -Rl "$old" "$work/adopted" && mv -T "$work/adopted" "$dest" && say "$1: the amd64 build of ${old##*/} taken over"
	fi
	if [ -f "$dest/.ndind-ready" ] && ! rebuild_asked "$1" &&
		{ [ -z "${3:-}" ] || grep -qx "stamp=$3" "$dest/.ndind-ready"; }; then
		say "$1 cached"
		exec 9>&-
		return
	fi
	say "building $1"
	t0=$(date +%s)
	tmp=$work/$1
	mkdir -p "$tmp/bin"
	"$2" "$tmp/src" "$tmp/bin"
	rm -rf "$tmp/src"
	{ go version && echo "stamp=${3:-}"; } >"$tmp/.ndind-ready"
	rm -rf "$dest"
	mv -T "$tmp" "$dest"
	say "built $1 in $(($(date +%s) - t0))s"
	exec 9>&-
	rebuilt=1
}


# Only the one folder of a nerdctl/src build must say which tree it holds.
case $ntag in src-*) nstamp=$ntag ;; *) nstamp= ;; esac
[ "${1:-}" != --nerdctl-only ] || { component "$nname" build_nerdctl "$nstamp" && exit 0; }
rebuilt=
component "containerd-$CONTAINERD_VERSION-$ARCH" build_containerd
component "runc-$RUNC_VERSION-$ARCH" build_runc
component "cni-plugins-$CNI_PLUGINS_VERSION-$ARCH" build_cni
component "$nname" build_nerdctl "$nstamp"
component "tini-$TINI_VERSION-$ARCH" build_tini
[ "${NDIND_BUILDKIT:-true}" = false ] || component "buildkit-$BUILDKIT_VERSION-$ARCH" build_buildkit
component "tools-$TOOLS_KEY-$ARCH" build_tools
component "probe-image-$TOOLS_KEY-$ARCH" build_probe_image

# The bundle and its copy appear by rename, so an existing one is complete.
# One run at a time assembles and copies it: a second one (another stack's
# up, a toolchain run) waits, then finds both in place and leaves them, so
# no copy an image build is reading is removed under it.
bundle=$NDIND_CACHE/bundle/$DIRKEY
exec 9>"$NDIND_CACHE/bundle/.$DIRKEY.lock"
flock 9
if [ ! -d "$bundle" ] || [ -n "$rebuilt" ] || ! grep -qx "NERDCTL_PATCHES=$ntag" "$bundle/usr/local/share/nerdctl-dind/VERSIONS"; then
	say "assembling bundle $KEY"
	t=$work/bundle
	mkdir -p "$t/usr/local/bin" "$t/opt/cni/bin" "$t/usr/local/share/nerdctl-dind"
	b=$NDIND_CACHE/build
	# Hard links: components are replaced by rename, never written in place.
	cp -l "$b/containerd-$CONTAINERD_VERSION-$ARCH/bin/"* "$b/runc-$RUNC_VERSION-$ARCH/bin/runc" \
		"$b/$nname/bin/nerdctl" "$b/tini-$TINI_VERSION-$ARCH/bin/tini" "$t/usr/local/bin/"
	[ "${NDIND_BUILDKIT:-true}" = false ] || cp -l "$b/buildkit-$BUILDKIT_VERSION-$ARCH/bin/"* "$t/usr/local/bin/"
	cp -l "$b/cni-plugins-$CNI_PLUGINS_VERSION-$ARCH/bin/"* "$t/opt/cni/bin/"
	# Root overlays: their folders as they are.
	cp -Rl "$b/tools-$TOOLS_KEY-$ARCH/bin/." "$b/probe-image-$TOOLS_KEY-$ARCH/bin/." "$t/"
	cat >"$t/usr/local/share/nerdctl-dind/VERSIONS" <<-EOF
		CONTAINERD_VERSION=$CONTAINERD_VERSION
		RUNC_VERSION=$RUNC_VERSION
		CNI_PLUGINS_VERSION=$CNI_PLUGINS_VERSION
		ARCH=$ARCH
		NERDCTL_VERSION=$NERDCTL_VERSION
		NERDCTL_PATCHES=$ntag
		TINI_VERSION=$TINI_VERSION
		BUILDKIT_VERSION=$([ "${NDIND_BUILDKIT:-true}" = false ] && echo none || echo "$BUILDKIT_VERSION")
		IPTABLES_VERSION=$(cat "$b/tools-$TOOLS_KEY-$ARCH/bin/usr/local/lib/nerdctl-dind/.iptables-version")
	EOF
	rm -rf "$bundle"
	mv -T "$t" "$bundle"
fi

out=$NDIND_ROOT/nerdctl/out/$DIRKEY
v=usr/local/share/nerdctl-dind/VERSIONS
# cp -p keeps times, so a copy older than its bundle is stale.
if [ ! -f "$out/$v" ] || [ -n "$(find "$bundle/$v" -newer "$out/$v")" ]; then
	say "copying the bundle to $out"
	mkdir -p "$NDIND_ROOT/nerdctl/out"
	outtmp=$(mktemp -d "$NDIND_ROOT/nerdctl/out/.$DIRKEY.XXXXXX")
	# Linked when the checkout shares the cache's filesystem, else copied.
	cp -Rpl "$bundle/." "$outtmp/" 2>/dev/null || { rm -rf "$outtmp" && mkdir "$outtmp" && cp -Rp "$bundle/." "$outtmp/"; }
	chmod 755 "$outtmp"
	rm -rf "$out"
	mv -T "$outtmp" "$out"
	outtmp=
fi
exec 9>&-
say "bundle ready: $out"
echo "$DIRKEY"
