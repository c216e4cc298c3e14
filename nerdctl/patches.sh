#!/bin/sh
# `make nerdctl-patches`: writes the commits of nerdctl/src after its base
# ("nerdctl vX.Y.Z") back as the series of that release,
# nerdctl/patches/X.Y.Z/NNNN-*.patch. The output is
# stable: no commit ids (--zero-commit), no version signature, full index
# lines, and no user diff settings, so unchanged commits give identical files.
# A patch keeps its file name while its subject is unchanged.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
export LC_ALL=C

src=${NDIND_NERDCTL_SRC:-$NDIND_ROOT/nerdctl/src}
[ -d "$src/.git" ] || die "no $src: make nerdctl-src lays it out"
base=$(cut -d' ' -f2 "$src/.git/ndind-base")
patches=$NDIND_ROOT/nerdctl/patches/$(cut -d' ' -f1 "$src/.git/ndind-base")
[ -z "$(git -C "$src" status --porcelain)" ] ||
	warn "$src has changes that are not committed; only commits are written (git -C nerdctl/src commit -a first)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$src" -c diff.noprefix=false -c diff.mnemonicPrefix=false -c diff.algorithm=myers \
	-c diff.renames=false -c format.signOff=false -c format.coverLetter=false \
	-c format.subjectPrefix=PATCH -c format.suffix=.patch -c core.quotePath=true \
	format-patch -q --no-signature --zero-commit --full-index --no-color -o "$tmp/new" "$base..HEAD" >/dev/null

# Old names by subject, so a regenerated patch keeps its name.
mkdir -p "$patches" "$tmp/out"
# The Subject header, unfolded, without its [PATCH n/m] prefix.
subject() {
	awk '/^$/ { exit } /^Subject: / { s = substr($0, 10); on = 1; next }
		on && /^[ \t]/ { s = s $0; next } { on = 0 } END { print s }' "$1" |
		sed 's/^\[PATCH[^]]*\] //'
}
for f in "$tmp"/new/*.patch; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	for old in "$patches"/*.patch; do
		[ -f "$old" ] && [ "$(subject "$old")" = "$(subject "$f")" ] &&
			name=${name%%-*}-$(basename "$old" | cut -d- -f2-) && break
	done
	cp "$f" "$tmp/out/$name"
done
rm -f "$patches"/*.patch
cp "$tmp"/out/*.patch "$patches/" 2>/dev/null || :
# A release with no commits after its base has no series.
rmdir "$patches" 2>/dev/null || :
log "${patches#"$NDIND_ROOT"/}: $(find "$patches" -maxdepth 1 -name '*.patch' 2>/dev/null | wc -l) patches from $(git -C "$src" rev-list --count "$base..HEAD") commits after the base"
git -C "$NDIND_ROOT" status --short -- nerdctl/patches | sed 's/^/  /'
