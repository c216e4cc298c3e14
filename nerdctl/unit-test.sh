#!/bin/sh
# Runs nerdctl's own Go unit tests in the patched tree from tree-to-build.sh.
#   nerdctl/unit-test.sh [PACKAGE...]   e.g. ./pkg/portutil/...
# Without packages: those the release's series (nerdctl/patches/<version>/)
# touches (their "+++ b/" paths), or ./pkg/portutil/... when it has none;
# not cmd/nerdctl, whose tests are integration tests that need a containerd
# (make test-upstream runs them inside a wrapper).
#   GOTEST_FLAGS      extra go test flags, e.g. "-v -run TestParseFlagP"
#   NERDCTL_PATCHES=none   the same tests on the unpatched tree
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
export LC_ALL=C

src=$("$here/tree-to-build.sh")
[ -f "$src/.ndind-ready" ] || die "tree-to-build.sh gave no tree: $src"

if [ $# -eq 0 ]; then
	# The folder of every Go file a patch touches, as ./pkg/x; testdata
	# folders belong to the package above them.
	ver=${NERDCTL_VERSION:-$(pulumi_default nerdctlVersion)}
	pkgs=$(for p in "$NDIND_ROOT/nerdctl/patches/${ver#v}"/*.patch; do [ -f "$p" ] && cat "$p"; done |
		sed -n 's|^+++ b/\(.*\.go\)\([[:space:]].*\)*$|\1|p' |
		sed -e 's|/testdata/.*||' -e 's|/[^/]*\.go$||' -e 's|^[^/]*\.go$|.|' |
		grep -v '^cmd/' | sort -u | sed 's|^\([^.]\)|./\1|')
	[ -n "$pkgs" ] || pkgs=./pkg/portutil/...
	# shellcheck disable=SC2086 # one package per word
	set -- $pkgs
fi

say "go test $* in $src"
cd "$src"
# shellcheck disable=SC2086 # flags are words
GOFLAGS="-mod=mod -buildvcs=false" go test ${GOTEST_FLAGS:-} "$@"
