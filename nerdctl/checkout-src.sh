#!/bin/sh
# `make nerdctl-src`: lays out nerdctl/src (git-ignored) as a git checkout of
# the pinned nerdctl: one commit "nerdctl vX.Y.Z" of the module source, then
# each patch of its series, nerdctl/patches/X.Y.Z/*.patch, as a commit of its
# own (git am; none for a release without a series). While the
# folder exists the bundle is built from it, edits included; `make
# nerdctl-patches` writes its commits back. An existing tree is left alone:
# it may hold work.
#   NERDCTL_VERSION   default: Pulumi.yaml nerdctlVersion
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
. "$here/modules.sh"
export LC_ALL=C

ver=${NERDCTL_VERSION:-$(pulumi_default nerdctlVersion)}
ver=${ver#v}
dest=${NDIND_NERDCTL_SRC:-$NDIND_ROOT/nerdctl/src}
if [ -d "$dest/.git" ]; then
	log "$dest is already there ($(cat "$dest/.git/ndind-base")); remove it to lay it out again"
	git -C "$dest" log --oneline | sed 's/^/  /'
	exit 0
fi
[ ! -e "$dest" ] || die "$dest exists but is not a git tree; move it away first"

mod=$(module_path nerdctl "$ver")
log "downloading $mod@v$ver"
moddir=$(module_dir nerdctl "$ver")

tmp=$(mktemp -d "$(dirname "$dest")/.src.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
copy_writable "$moddir" "$tmp"
# Go writes the go.sum lines a build needs into the tree (-mod=mod); done
# here, in the base commit, a build never dirties the tree.
log "completing go.sum for the build and the tests"
(cd "$tmp" && GOFLAGS="-mod=mod -buildvcs=false" go list -e -deps -test ./... >/dev/null)

# A fixed identity and date: the base commit is the same on every machine,
# and patches without a Date header get a stable one.
export GIT_AUTHOR_NAME=nerdctl-dind GIT_AUTHOR_EMAIL=nerdctl-dind@localhost
export GIT_COMMITTER_NAME=nerdctl-dind GIT_COMMITTER_EMAIL=nerdctl-dind@localhost
export GIT_AUTHOR_DATE="2023-08-01T00:00:00Z" GIT_COMMITTER_DATE="2023-08-01T00:00:00Z"
git -C "$tmp" init -q -b main
git -C "$tmp" config user.name nerdctl-dind
git -C "$tmp" config user.email nerdctl-dind@localhost
git -C "$tmp" add -A
git -C "$tmp" commit -q -m "nerdctl v$ver" -m "The module source of $mod@v$ver, go.sum completed."
echo "$ver $(git -C "$tmp" rev-parse HEAD)" >"$tmp/.git/ndind-base"

[ -d "$NDIND_ROOT/nerdctl/patches/$ver" ] || log "no patch series for nerdctl $ver (nerdctl/patches/$ver/): the tree is the release"
for p in "$NDIND_ROOT/nerdctl/patches/$ver"/*.patch; do
	[ -f "$p" ] || continue
	log "applying $(basename "$p")"
	# git am takes the author date from the Date header; give one where
	# the patch has none, so the commit (and its patch) stays the same.
	awk -v date="Date: Tue, 1 Aug 2023 00:00:00 +0000" '
		!done && /^$/ { if (!dated) print date; done = 1 }
		!done && /^Date: / { dated = 1 }
		{ print }' "$p" >"$tmp/.git/ndind-patch"
	git -C "$tmp" am -q "$tmp/.git/ndind-patch" || die "$(basename "$p") does not apply to nerdctl v$ver (git am)"
done

rm -f "$tmp/.git/ndind-patch"
mv -T "$tmp" "$dest"
trap - EXIT
log "nerdctl v$ver source ready: $dest (the bundle is now built from it)"
git -C "$dest" log --oneline | sed 's/^/  /'
