# shellcheck shell=sh disable=SC2154 # ndir, nsrc, ntag, work: set by build.sh
# Sourced by nerdctl/build.sh: how each Go component of the bundle is built
# from its module source (build_containerd, build_runc, build_cni,
# build_nerdctl, build_tini, build_buildkit), each called as BUILDFN SRC OUT
# by build.sh's component step, and the checks every binary must pass
# (static, reports its version). Reads build.sh's versions, $ndir (nerdctl's
# module source), $nsrc and $ntag (the tree to build and its name) and $work.

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
	# The edit loop waits on this link; with the collector off (GOGC=off) it
	# was a little faster (make bench: 1.17 s against 1.25 s), for about 45 MB
	# more memory.
	(cd "$nsrc" && CGO_ENABLED=0 GOGC=off go build -overlay "$work/nerdctl-overlay.json" -o "$2/nerdctl" \
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
