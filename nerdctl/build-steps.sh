# shellcheck shell=sh disable=SC2154 # ndir, nsrc, ntag, work, here, ARCH...: set by build.sh
# Sourced by nerdctl/build.sh: how each component of the bundle is built
# (build_containerd, build_runc, build_cni, build_nerdctl, build_tini,
# build_buildkit, build_tools, build_probe_image), each called as BUILDFN SRC
# OUT by build.sh's component step, and the checks every binary must pass
# (static, of the bundle's architecture, reports its version). Reads
# build.sh's versions, $ARCH, $TRIPLET, $ELF_ARCH and $RUNS_HERE, $ndir
# (nerdctl's module source), $nsrc and $ntag (the tree to build and its
# name) and $work. What needs Debian's packages runs in_debian (debian.sh).

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

# FILE...: each a static executable of the bundle's architecture, as file(1)
# says (the host's file, or the build container's where the host has none).
assert_static() {
	if command -v file >/dev/null; then
		seen=$(file "$@")
	else
		seen=$(in_debian "$(dirname "$1")" file "$@")
	fi
	bad=$(printf '%s\n' "$seen" | grep -v -e 'statically linked' || :)
	[ -z "$bad" ] || die "not static: $bad"
	bad=$(printf '%s\n' "$seen" | grep -v -F -e "$ELF_ARCH" || :)
	[ -z "$bad" ] || die "not linux/$ARCH: $bad"
}

# VERSION COMMAND...: the command's output must mention VERSION. Where this
# machine cannot run the bundle's architecture, the binary (the first
# argument that is a file) must hold the version's number instead.
assert_version() {
	want=$1
	shift
	if [ "$RUNS_HERE" = no ]; then
		for bin; do [ -f "$bin" ] && break; done
		grep -q -a -F -e "${want##* }" "$bin" || die "$bin does not hold ${want##* }"
		say "  ${bin##*/}: holds ${want##* } (linux/$ARCH binaries do not run here: not run)"
		return
	fi
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

# In the build container: cgo for nsenter and static seccomp support, with
# the C compiler and libseccomp.a of the bundle's architecture (a cross
# compiler where the container's own is another's).
build_runc() {
	module_tree runc "$RUNC_VERSION" "$1"
	rev=$(tag_commit runc "$RUNC_VERSION")
	# Its modules come from here: the container asks no proxy.
	(cd "$1" && go mod download) >&2
	# The Makefile's "static" target.
	in_debian "$(dirname "$2")" sh -c 'cd "$1" &&
		if [ "$(dpkg --print-architecture)" != "$NDIND_ARCH" ]; then export CC=$3-gcc; fi &&
		PKG_CONFIG_LIBDIR=/usr/lib/$3/pkgconfig:/usr/share/pkgconfig CGO_ENABLED=1 go build -o "$2/runc" \
			-tags "seccomp netgo osusergo" \
			-ldflags "-s -w -extldflags -static -X main.gitCommit=$4 -X main.version=$5" .' \
		sh "$1" "$2" "$TRIPLET" "$rev" "$RUNC_VERSION" >&2
	assert_static "$2/runc"
	assert_version "runc version $RUNC_VERSION" "$2/runc" --version
	[ "$RUNS_HERE" = no ] || "$2/runc" --version | grep -q '^libseccomp: ' || die "runc built without seccomp"
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

# Debian's package ships a static tini (tini-static), so no C build is
# needed; tini.sh takes it out of the package, in the build container.
build_tini() {
	in_debian "$(dirname "$2")" sh "$here/tini.sh" "$1" "$2" "$TINI_VERSION" >&2
	assert_static "$2/tini"
	assert_version "tini version $TINI_VERSION" "$2/tini" --version
}

# Debian's packages, relocated (tools.sh), and the probe's image made from
# Debian's busybox (probe-image.sh): both in the build container.
build_tools() { in_debian "$(dirname "$2")" sh "$here/tools.sh" "$1" "$2" >&2; }
build_probe_image() { in_debian "$(dirname "$2")" sh "$here/probe-image.sh" "$1" "$2" >&2; }

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
