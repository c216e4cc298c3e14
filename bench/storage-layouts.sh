#!/bin/sh
# Part of `make bench` (bench/run.sh runs it; it also runs alone): what the
# image layout costs. Three stacks: the folder layout on this machine's own
# filesystem (the baseline), the image layout on the same filesystem
# (storageLayout image: the ext4 file's own cost), and the image layout in a
# FUSE shared folder (bindfs, as a shared folder of Docker Desktop or Lima;
# auto chooses it). Each measures, BENCH_RUNS times: a 64 MiB image loaded
# (docker save | nerdctl load), an inner container's start
# (nerdctl run --rm true), and 256 MiB written and synced inside an inner
# container. Appends "name|min|median|max" rows to $1 if given; prints a
# markdown table of the medians and their ratios against the baseline.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
. "$here/lib.sh"
cd "$NDIND_ROOT"

ROWS=${1:-$(mktemp)}
RUNS=${BENCH_RUNS:-5}
PREFIX=${BENCH_PREFIX:-bench}-layout-$$
SHARE=$(mktemp -d)
BIG=ndind-bench/layout:$$
LAYOUTS="folder image fuse"

stack() { echo "$PREFIX-$1"; }
wrapper() { echo "nerdctl-dind-$(stack "$1")"; }

cleanup() {
	for l in $LAYOUTS; do
		pulumi destroy --yes --skip-preview --non-interactive --stack "$(stack "$l")" >/dev/null 2>&1 || :
		pulumi stack rm --yes --force --non-interactive --stack "$(stack "$l")" >/dev/null 2>&1 || :
		docker rmi "nerdctl-dind:$(stack "$l")" >/dev/null 2>&1 || :
		rm -rf "$NDIND_ROOT/lib/${PREFIX:?}-$l" "$(stack_file "$(stack "$l")")"
	done
	docker rmi "$BIG" >/dev/null 2>&1 || :
	sh tests/shared-folder/bindfs.sh umount "$SHARE/fuse" >/dev/null 2>&1 || :
	rm -rf "$SHARE"
}
trap cleanup EXIT

say "bench: storage layouts: a 64 MiB image, made here"
printf 'FROM busybox:ndind\nRUN head -c 67108864 /dev/urandom >/blob\n' | DOCKER_BUILDKIT=0 docker build -q -t "$BIG" - >/dev/null
docker save -o "$SHARE/big.tar" "$BIG"
sh tests/shared-folder/bindfs.sh mount "$SHARE/disk" "$SHARE/fuse"

for l in $LAYOUTS; do
	s=$(stack "$l")
	pulumi stack init "$s" --non-interactive >/dev/null
	p="pulumi config set --stack $s"
	$p baseImage nerdctl-dind/base:bookworm
	$p plugins ndind
	$p --path 'preload[0]' "$NDIND_CACHE/images/busybox.tar"
	case $l in
	image) $p storageLayout image ;;
	fuse) $p storageDir "$SHARE/fuse/$s" ;;
	esac
	say "bench: storage layouts: $s up"
	pulumi up --yes --skip-preview --non-interactive --stack "$s" >/dev/null
	chosen=$(pulumi stack output storageLayout --stack "$s")
	say "bench: $s: $chosen"
done

# NAME COMMAND: COMMAND timed RUNS times in each stack (WRAPPER is set),
# the image removed before each run (measure, bench/lib.sh).
export SHARE BIG
each() {
	for l in $LAYOUTS; do
		WRAPPER=$(wrapper "$l")
		export WRAPPER
		measure "storage $l: $1" 'docker exec "$WRAPPER" nerdctl rmi -f "$BIG"' "$2" >/dev/null
	done
}
each "load of a 64 MiB image (nerdctl load)" 'docker exec -i "$WRAPPER" nerdctl load <"$SHARE/big.tar"'
each "inner container start (nerdctl run --rm true)" 'docker exec "$WRAPPER" nerdctl run --rm busybox:ndind true'
each "256 MiB written and synced in an inner container" \
	'docker exec "$WRAPPER" nerdctl run --rm busybox:ndind sh -c "dd if=/dev/zero of=/f bs=1M count=256 && sync"'

ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
cell() { awk -F'|' -v n="storage $1: $2" '$1 == n { print $3 " (" $2 "-" $4 ")" }' "$ROWS"; }
echo "| figure ($RUNS runs, s) | folder layout (baseline) | image layout, same disk | / baseline | image layout in a FUSE folder | / baseline |"
echo "|---|---:|---:|---:|---:|---:|"
for f in "load of a 64 MiB image (nerdctl load)" "inner container start (nerdctl run --rm true)" \
	"256 MiB written and synced in an inner container"; do
	base=$(median "storage folder: $f")
	echo "| $f | $(cell folder "$f") | $(cell image "$f") | $(ratio "$(median "storage image: $f")" "$base") |" \
		"$(cell fuse "$f") | $(ratio "$(median "storage fuse: $f")" "$base") |"
done
rm -f "$ROWS.samples"
