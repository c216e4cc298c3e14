#!/bin/sh
# Builds the whole bundle, not only nerdctl: static linux/amd64 containerd,
# runc, CNI plugins, our patched nerdctl, tini and BuildKit; iptables, nft,
# conntrack, ip and curl with their own libraries (tools.sh); the probe's
# image (probe-image.sh). The result is a root overlay in nerdctl/out/; the
# folder's name is the last stdout line; logs go to stderr.
# Usage: dir=nerdctl/out/$(nerdctl/build.sh)
# With --key it only prints the KEY (nothing is built; the module proxy is
# asked whether it serves each release, and nerdctl's module is fetched for
# its Dockerfile's pins); with
# --dir-key the name of its folder in nerdctl/out/, which is the KEY except
# for a bundle built from nerdctl/src: one folder, whatever its content hash.
#   CONTAINERD_VERSION RUNC_VERSION CNI_PLUGINS_VERSION NERDCTL_VERSION
#                      default: the Pulumi.yaml config defaults
#   BUILDKIT_VERSION TINI_VERSION  default: what the nerdctl release's full
#                      bundle pins (its Dockerfile; 1.5.0: BuildKit 0.12.0, tini 0.19.0)
#   NDIND_BUILDKIT=false   leave BuildKit out
#   NERDCTL_PATCHES=none   nerdctl without our patches
#   NDIND_REBUILD=1        rebuild components even when cached
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
. "$here/modules.sh"
export LC_ALL=C

pin() { # ENV_VALUE PULUMI_KEY: the env override or the Pulumi.yaml default
	v=${1:-$(pulumi_default "$2")}
	[ -n "$v" ] || die "no version for $2"
	echo "${v#v}"
}
CONTAINERD_VERSION=$(pin "${CONTAINERD_VERSION:-}" containerdVersion)
RUNC_VERSION=$(pin "${RUNC_VERSION:-}" runcVersion)
CNI_PLUGINS_VERSION=$(pin "${CNI_PLUGINS_VERSION:-}" cniPluginsVersion)
NERDCTL_VERSION=$(pin "${NERDCTL_VERSION:-}" nerdctlVersion)
export NERDCTL_VERSION
case ${NDIND_BUILDKIT:-true} in
true | false) ;;
*) die "NDIND_BUILDKIT is '$NDIND_BUILDKIT': give true or false" ;;
esac

# Every release the module proxy refuses, named at once (and at preview,
# which runs --key); answers are cached, so this costs milliseconds.
problems=
add_problem() { [ -z "$1" ] || problems="$problems
  - $1"; }
add_problem "$(module_problem nerdctl "$NERDCTL_VERSION")"
add_problem "$(module_problem containerd "$CONTAINERD_VERSION")"
add_problem "$(module_problem runc "$RUNC_VERSION")"
add_problem "$(module_problem cni "$CNI_PLUGINS_VERSION")"
[ -n "$problems" ] || {
	# BuildKit and tini as this nerdctl release's full bundle has them.
	ndir=$(module_dir nerdctl "$NERDCTL_VERSION")
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
TOOLS_KEY=$(cat "$here/tools.sh" "$here/probe-image.sh" | cksum | cut -d' ' -f1)
KEY=containerd-${CONTAINERD_VERSION}_runc-${RUNC_VERSION}_cni-${CNI_PLUGINS_VERSION}_nerdctl-${NERDCTL_VERSION}-${ntag}_tini-$TINI_VERSION
[ "${NDIND_BUILDKIT:-true}" = false ] || KEY=${KEY}_buildkit-$BUILDKIT_VERSION
KEY=${KEY}_tools-$TOOLS_KEY
# Built from nerdctl/src, every edit has its own KEY (so the bundle step runs
# again) but the folders and the nerdctl component are one, rebuilt in place.
case $ntag in
src-*) DIRKEY=$(echo "$KEY" | sed "s/-${ntag}_/-src_/") nname=nerdctl-$NERDCTL_VERSION-src ;;
*) DIRKEY=$KEY nname=nerdctl-$NERDCTL_VERSION-$ntag ;;
esac
[ "${1:-}" = --key ] && { echo "$KEY"; exit 0; }
[ "${1:-}" = --dir-key ] && { echo "$DIRKEY"; exit 0; }

# Other pins are the stack's settings; the log says where they differ from
# the release's own.
pins=
for c in CONTAINERD RUNC CNI_PLUGINS; do
	want=$(release_pin "$ndir" "${c}_VERSION")
	have=$(eval echo "\$${c}_VERSION")
	[ -z "$want" ] || [ "$want" = "$have" ] || pins="$pins, ${c}_VERSION $have (the release pins $want)"
done
[ -z "$pins" ] || pins="; differs from nerdctl $NERDCTL_VERSION's Dockerfile:${pins#,}"
say "nerdctl $NERDCTL_VERSION with containerd $CONTAINERD_VERSION, runc $RUNC_VERSION, CNI plugins $CNI_PLUGINS_VERSION, BuildKit $BUILDKIT_VERSION, tini $TINI_VERSION$pins"

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

export GOOS=linux GOARCH=amd64 GOFLAGS="-mod=mod -trimpath -buildvcs=false"
mkdir -p "$NDIND_CACHE/build" "$NDIND_CACHE/bundle"
work=$(mktemp -d "$NDIND_CACHE/build/.work.XXXXXX")
outtmp=
trap 'rm -rf "$work" ${outtmp:+"$outtmp"}' EXIT

# NAME VERSION: the release commit, for the revision the binaries report; the
# module proxy does not record it. Known here for the seed's tags; else the
# one nerdctl's Dockerfile names beside the same version (ARG
# CONTAINERD_VERSION=v2.1.3@c787fb9...); else the tag itself.
tag_commit() {
	case $1@v$2 in
	containerd@v1.7.2) echo 0cae528dd6cb557f7201036e9f43420650207b58 ;;
	runc@v1.1.7) echo 860f061b76bb4fc671f0f9e900f7d80ff93d4eb7 ;;
	*)
		c=$(sed -n "s/^ARG $(echo "$1" | tr a-z A-Z)_VERSION=v$2@\([0-9a-f]\{40\}\)\$/\1/p" "$ndir/Dockerfile")
		echo "${c:-v$2}"
		;;
	esac
}

# COMPONENT VERSION DEST: a writable copy of the module source at DEST. The
# module zips keep only vendor/modules.txt, so dependencies come from the
# proxy (-mod=mod) and the stub vendor folder goes.
module_tree() {
	copy_writable "$(module_dir "$1" "$2")" "$3"
	rm -rf "$3/vendor"
}

assert_static() {
	command -v file >/dev/null || apt_install file
	for f in "$@"; do
		file -b "$f" | grep -q 'statically linked' || die "not static: $f ($(file -b "$f"))"
	done
}

# VERSION COMMAND...: the command's output must mention VERSION.
assert_version() {
	want=$1
	shift
	out=$("$@" 2>&1) || true
	case $out in
	*"$want"*) say "  $(printf '%s' "$out" | head -n 1)" ;;
	*) die "$* does not report $want: $out" ;;
	esac
}

# NAME BUILDFN [STAMP]: runs BUILDFN SRC OUT unless $NDIND_CACHE/build/NAME
# is there (built from STAMP, if given); the result lands atomically, so a
# killed build leaves nothing.
component() {
	dest=$NDIND_CACHE/build/$1
	if [ -f "$dest/.ndind-ready" ] && [ -z "${NDIND_REBUILD:-}" ] &&
		{ [ -z "${3:-}" ] || grep -qx "stamp=$3" "$dest/.ndind-ready"; }; then
		say "$1 cached"
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
	rebuilt=1
}

# The same commands and -X variables in 1.x and 2.x, under the module path
# of the release (…/containerd/v2/version.Version).
build_containerd() {
	module_tree containerd "$CONTAINERD_VERSION" "$1"
	pkg=$(module_path containerd "$CONTAINERD_VERSION")
	rev=$(tag_commit containerd "$CONTAINERD_VERSION")
	# The Makefile's STATIC=1 tags; btrfs needs cgo, so it is left out.
	(cd "$1" && CGO_ENABLED=0 go build -o "$2/" \
		-tags "urfave_cli_no_docs osusergo netgo static_build no_btrfs" \
		-ldflags "-s -w -X $pkg/version.Version=v$CONTAINERD_VERSION -X $pkg/version.Revision=$rev -X $pkg/version.Package=$pkg" \
		./cmd/containerd ./cmd/containerd-shim-runc-v2 ./cmd/ctr) >&2
	assert_static "$2"/*
	assert_version "v$CONTAINERD_VERSION" "$2/containerd" --version
	assert_version "v$CONTAINERD_VERSION" "$2/ctr" --version
	assert_version "v$CONTAINERD_VERSION" "$2/containerd-shim-runc-v2" -v
}

build_runc() {
	# Static seccomp support needs libseccomp.a, found through pkg-config.
	if ! command -v pkg-config >/dev/null || ! pkg-config --exists libseccomp ||
		[ ! -f "$(pkg-config --variable=libdir libseccomp)/libseccomp.a" ]; then
		apt_install libseccomp-dev pkg-config
	fi
	module_tree runc "$RUNC_VERSION" "$1"
	rev=$(tag_commit runc "$RUNC_VERSION")
	# The Makefile's "static" target: cgo for nsenter and libseccomp.
	(cd "$1" && CGO_ENABLED=1 go build -o "$2/runc" \
		-tags "seccomp netgo osusergo" \
		-ldflags "-s -w -extldflags -static -X main.gitCommit=$rev -X main.version=$RUNC_VERSION" \
		.) >&2
	assert_static "$2/runc"
	assert_version "runc version $RUNC_VERSION" "$2/runc" --version
	"$2/runc" --version | grep -q '^libseccomp: ' || die "runc built without seccomp"
}

build_cni() {
	module_tree cni "$CNI_PLUGINS_VERSION" "$1"
	# build_linux.sh's set: every main, ipam and meta plugin (the windows
	# ones drop out of the ./... patterns by their build tags).
	(cd "$1" && CGO_ENABLED=0 go build -o "$2/" \
		-ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=v$CNI_PLUGINS_VERSION" \
		./plugins/main/... ./plugins/ipam/... ./plugins/meta/...) >&2
	assert_static "$2"/*
	for p in bridge portmap firewall tuning host-local loopback bandwidth; do
		[ -x "$2/$p" ] || die "CNI plugin $p missing"
	done
	# With no CNI_COMMAND a plugin prints its "about" line.
	for p in "$2"/*; do assert_version "v$CNI_PLUGINS_VERSION" env -u CNI_COMMAND "$p"; done
}

build_nerdctl() {
	case $ntag in
	unpatched) rev=$(sed -n 's/^NERDCTL_REVISION=//p' "$nsrc/.ndind-ready") ;;
	src-*) rev=v$NERDCTL_VERSION+$ntag ;;
	*) rev=$(sed -n 's/^NERDCTL_REVISION=//p' "$nsrc/.ndind-ready")+patches.$ntag ;;
	esac
	pkg=$(module_path nerdctl "$NERDCTL_VERSION")
	# nerdctl 2.x keeps test helpers in files that are not _test.go files
	# (cmd/nerdctl/helpers/testing_linux.go), importing its test framework,
	# the nested module mod/tigron. Module zips leave nested modules out, and
	# the proxy does not serve this one, so the build leaves those helpers out
	# (the binary never calls them); -overlay keeps the tree as released.
	echo '{"Replace":{}}' >"$work/nerdctl-overlay.json"
	if grep -q '=> \./mod/tigron' "$nsrc/go.mod" && [ ! -f "$nsrc/mod/tigron/go.mod" ]; then
		helpers=$(cd "$nsrc" && grep -rl --include='*.go' -e "\"$pkg/pkg/testutil" -e '"github.com/containerd/nerdctl/mod/tigron' cmd pkg |
			grep -v -e '_test\.go$' -e '^pkg/testutil/' || :)
		# shellcheck disable=SC2086 # one file a word
		say "  left out of the build (test helpers needing mod/tigron):" $helpers
		# shellcheck disable=SC2086
		printf '%s\n' $helpers | awk -v d="$nsrc" 'BEGIN { printf "{\"Replace\":{" }
			{ printf "%s\"%s/%s\":\"\"", (NR > 1 ? "," : ""), d, $0 } END { print "}}" }' >"$work/nerdctl-overlay.json"
	fi
	# Built in the patched tree itself (-o outside it); go.sum may gain lines.
	(cd "$nsrc" && CGO_ENABLED=0 go build -overlay "$work/nerdctl-overlay.json" -o "$2/nerdctl" \
		-ldflags "-s -w -X $pkg/pkg/version.Version=v$NERDCTL_VERSION -X $pkg/pkg/version.Revision=$rev" \
		./cmd/nerdctl) >&2
	assert_static "$2/nerdctl"
	assert_version "$NERDCTL_VERSION" "$2/nerdctl" --version
}

# Debian's package ships a static tini (tini-static), so no C build is needed.
build_tini() {
	mkdir -p "$1"
	(cd "$1" && apt-get -o APT::Sandbox::User=root download tini) >&2 ||
		{ apt-get update >&2 && (cd "$1" && apt-get -o APT::Sandbox::User=root download tini) >&2; } ||
		die "apt-get download tini failed"
	deb=$(ls "$1"/tini_*.deb)
	v=$(dpkg-deb -f "$deb" Version)
	case $v in
	"$TINI_VERSION"-*) ;;
	*) die "Debian's tini is $v, not $TINI_VERSION; set TINI_VERSION=${v%%-*}" ;;
	esac
	dpkg-deb -x "$deb" "$1/root"
	cp "$1/root/usr/bin/tini-static" "$2/tini"
	assert_static "$2/tini"
	assert_version "tini version $TINI_VERSION" "$2/tini" --version
}

# As BuildKit's own Dockerfile builds them: no cgo, buildkitd with its
# static tags (seccomp here only names the profile; runc applies it).
build_buildkit() {
	module_tree buildkit "$BUILDKIT_VERSION" "$1"
	pkg=$(module_path buildkit "$BUILDKIT_VERSION")
	ld="-s -w -X $pkg/version.Version=v$BUILDKIT_VERSION -X $pkg/version.Revision=v$BUILDKIT_VERSION -X $pkg/version.Package=$pkg"
	(cd "$1" && CGO_ENABLED=0 go build -o "$2/buildctl" -ldflags "$ld" ./cmd/buildctl &&
		CGO_ENABLED=0 go build -o "$2/buildkitd" -tags "osusergo netgo static_build seccomp" -ldflags "$ld" ./cmd/buildkitd) >&2
	assert_static "$2"/*
	assert_version "v$BUILDKIT_VERSION" "$2/buildkitd" --version
	assert_version "v$BUILDKIT_VERSION" "$2/buildctl" --version
}

apt_install() {
	say "installing $* with apt-get"
	{ apt_get install -y --no-install-recommends "$@" ||
		{ apt_get update && apt_get install -y --no-install-recommends "$@"; }; } >&2 ||
		die "apt-get install $* failed"
}

rebuilt=
component "containerd-$CONTAINERD_VERSION" build_containerd
component "runc-$RUNC_VERSION" build_runc
component "cni-plugins-$CNI_PLUGINS_VERSION" build_cni
# Only the one folder of a nerdctl/src build must say which tree it holds.
case $ntag in src-*) nstamp=$ntag ;; *) nstamp= ;; esac
component "$nname" build_nerdctl "$nstamp"
component "tini-$TINI_VERSION" build_tini
[ "${NDIND_BUILDKIT:-true}" = false ] || component "buildkit-$BUILDKIT_VERSION" build_buildkit
component "tools-$TOOLS_KEY" "$here/tools.sh"
component "probe-image-$TOOLS_KEY" "$here/probe-image.sh"

# The bundle and its copy appear by rename, so an existing one is complete.
bundle=$NDIND_CACHE/bundle/$DIRKEY
if [ ! -d "$bundle" ] || [ -n "$rebuilt" ] || ! grep -qx "NERDCTL_PATCHES=$ntag" "$bundle/usr/local/share/nerdctl-dind/VERSIONS"; then
	say "assembling bundle $KEY"
	t=$work/bundle
	mkdir -p "$t/usr/local/bin" "$t/opt/cni/bin" "$t/usr/local/share/nerdctl-dind"
	b=$NDIND_CACHE/build
	# Hard links: components are replaced by rename, never written in place.
	cp -l "$b/containerd-$CONTAINERD_VERSION/bin/"* "$b/runc-$RUNC_VERSION/bin/runc" \
		"$b/$nname/bin/nerdctl" "$b/tini-$TINI_VERSION/bin/tini" "$t/usr/local/bin/"
	[ "${NDIND_BUILDKIT:-true}" = false ] || cp -l "$b/buildkit-$BUILDKIT_VERSION/bin/"* "$t/usr/local/bin/"
	cp -l "$b/cni-plugins-$CNI_PLUGINS_VERSION/bin/"* "$t/opt/cni/bin/"
	# Root overlays: their folders as they are.
	cp -Rl "$b/tools-$TOOLS_KEY/bin/." "$b/probe-image-$TOOLS_KEY/bin/." "$t/"
	cat >"$t/usr/local/share/nerdctl-dind/VERSIONS" <<-EOF
		CONTAINERD_VERSION=$CONTAINERD_VERSION
		RUNC_VERSION=$RUNC_VERSION
		CNI_PLUGINS_VERSION=$CNI_PLUGINS_VERSION
		NERDCTL_VERSION=$NERDCTL_VERSION
		NERDCTL_PATCHES=$ntag
		TINI_VERSION=$TINI_VERSION
		BUILDKIT_VERSION=$([ "${NDIND_BUILDKIT:-true}" = false ] && echo none || echo "$BUILDKIT_VERSION")
		IPTABLES_VERSION=$(cat "$b/tools-$TOOLS_KEY/bin/usr/local/lib/nerdctl-dind/.iptables-version")
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
say "bundle ready: $out"
echo "$DIRKEY"
