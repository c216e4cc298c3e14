#!/bin/sh
# Prints (last stdout line) the path of the nerdctl source tree to build:
# nerdctl/src when `make nerdctl-src` made it (edits included, committed or
# not), else a writable copy of nerdctl's module source with the release's
# series, nerdctl/patches/<version>/*.patch, applied (a release without a
# series is built as released). Logs go to stderr.
#   NERDCTL_VERSION   default: Pulumi.yaml nerdctlVersion
#   NERDCTL_PATCHES   "none" leaves the tree unpatched (and ignores nerdctl/src)
#   NDIND_NERDCTL_SRC the editable tree, default nerdctl/src; "none": the
#                     release even where nerdctl/src is (make toolchain)
# With --tag it only prints the tree's name: sha12 of the patch series,
# "unpatched", or "src-" + sha12 of nerdctl/src's content.
set -eu
. "$(dirname "$0")/../toolchain/lib.sh"
. "$(dirname "$0")/modules.sh"
export LC_ALL=C # glob and sort order = name order

ver=${NERDCTL_VERSION:-$(pulumi_default nerdctlVersion)}
[ -n "$ver" ] || die "no nerdctl version (NERDCTL_VERSION or Pulumi.yaml nerdctlVersion)"
ver=${ver#v}

mode=${1:-}

# The editable tree is named by HEAD, the diff against it and every untracked
# file (cheap: git hashes only what changed), so any edit gives a new name.
src=${NDIND_NERDCTL_SRC:-$NDIND_ROOT/nerdctl/src}
if [ "${NERDCTL_PATCHES:-}" != none ] && [ "$src" != none ] && [ -d "$src/.git" ]; then
	base=$(cat "$src/.git/ndind-base" 2>/dev/null) || die "$src has no .git/ndind-base: make it with make nerdctl-src"
	[ "${base%% *}" = "$ver" ] ||
		die "$src holds nerdctl ${base%% *}, the setting asks for $ver: write its patches back (make nerdctl-patches) and remove it, or set nerdctlVersion ${base%% *}"
	tag=src-$({
		git -C "$src" rev-parse HEAD
		git -C "$src" diff HEAD --binary
		git -C "$src" ls-files -z -o --exclude-standard | (cd "$src" && xargs -0r sha256sum)
	} | sha256sum | cut -c1-12)
	[ "$mode" = --tag ] && { echo "$tag"; exit 0; }
	say "nerdctl $ver source: $src ($tag)"
	echo "$src"
	exit 0
fi

patchdir=$NDIND_ROOT/nerdctl/patches/$ver
set --
if [ "${NERDCTL_PATCHES:-}" != none ]; then
	for p in "$patchdir"/*.patch; do
		[ -f "$p" ] && set -- "$@" "$p"
	done
fi
# The tree is named after the patches' content, so an edited patch gets a
# fresh tree and an unchanged series reuses the old one.
if [ $# -eq 0 ]; then
	tag=unpatched
else
	tag=$(cat "$@" | sha256sum | cut -c1-12)
fi
[ "$mode" = --tag ] && { echo "$tag"; exit 0; }
[ "${NERDCTL_PATCHES:-}" = none ] || [ -d "$patchdir" ] ||
	say "no patch series for nerdctl $ver (nerdctl/patches/$ver/): built as released"
dir=$NDIND_CACHE/src/nerdctl-$ver-$tag

if [ -f "$dir/.ndind-ready" ]; then
	say "nerdctl $ver source ($tag) cached: $dir"
	echo "$dir"
	exit 0
fi

say "downloading $(module_path nerdctl "$ver")@v$ver"
json=$(module_json nerdctl "$ver")
moddir=$(json_field "$json" Dir)
[ -d "$moddir" ] || die "no module directory in: $json"
hash=$(json_field "$json" Hash)

mkdir -p "$NDIND_CACHE/src"
tmp=$(mktemp -d "$NDIND_CACHE/src/.nerdctl-$ver-$tag.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
copy_writable "$moddir" "$tmp"

for p in "$@"; do
	say "applying $(basename "$p")"
	out=$(patch -p1 --batch --forward --no-backup-if-mismatch -d "$tmp" <"$p" 2>&1) || {
		printf '%s\n' "$out" >&2
		die "patch $(basename "$p") does not apply to nerdctl v$ver"
	}
done

# Read by build.sh (revision stamp) and by people wondering what is in here.
{
	echo "NERDCTL_VERSION=$ver"
	echo "NERDCTL_REVISION=$hash"
	echo "NERDCTL_PATCHES=$tag"
	for p in "$@"; do echo "PATCH=$(basename "$p")"; done
} >"$tmp/.ndind-ready"

# Another run may have finished the same tree meanwhile: keep the first.
if mv -T "$tmp" "$dir" 2>/dev/null; then
	trap - EXIT
elif [ ! -f "$dir/.ndind-ready" ]; then
	die "could not move the patched tree to $dir"
fi
say "nerdctl $ver source ($tag) ready: $dir"
echo "$dir"
