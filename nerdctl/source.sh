#!/bin/sh
# Prints (last stdout line) the path of a writable copy of nerdctl's module
# source with nerdctl/patches/*.patch applied. Logs go to stderr.
#   NERDCTL_VERSION   default: Pulumi.yaml nerdctlVersion
#   NERDCTL_PATCHES   "none" leaves the tree unpatched
# With --tag it only prints the patch series' name (sha12 or "unpatched").
set -eu
. "$(dirname "$0")/../toolchain/lib.sh"
export LC_ALL=C # glob and sort order = name order

say() { log "$@" >&2; }

ver=${NERDCTL_VERSION:-$(pulumi_default nerdctlVersion)}
[ -n "$ver" ] || die "no nerdctl version (NERDCTL_VERSION or Pulumi.yaml nerdctlVersion)"
ver=${ver#v}

mode=${1:-}
patchdir=$NDIND_ROOT/nerdctl/patches
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
dir=$NDIND_CACHE/src/nerdctl-$ver-$tag

if [ -f "$dir/.ndind-ready" ]; then
	say "nerdctl $ver source ($tag) cached: $dir"
	echo "$dir"
	exit 0
fi

say "downloading github.com/containerd/nerdctl@v$ver"
json=$(cd / && GOFLAGS=-mod=mod go mod download -json "github.com/containerd/nerdctl@v$ver") ||
	die "go mod download github.com/containerd/nerdctl@v$ver failed: $json"
moddir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[ -d "$moddir" ] || die "no module directory in: $json"
hash=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Hash": "\(.*\)",*$/\1/p')

mkdir -p "$NDIND_CACHE/src"
tmp=$(mktemp -d "$NDIND_CACHE/src/.nerdctl-$ver-$tag.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -R "$moddir/." "$tmp/"
chmod -R u+w "$tmp" # the module cache is read-only

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
