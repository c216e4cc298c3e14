#!/bin/sh
# The stack's storage when it fills up. A failed build keeps what it made:
# BuildKit's cache records hold its snapshots (80 MB of a 145 MiB disk, here,
# after a RUN whose export found no room), and nerdctl 1.5.0's builder prune
# runs no `--all`, so it gives back nothing of them.
#   space.sh free    the free share of the filesystems the images live on;
#                    exit 3 when one is below storageMinFree (make status,
#                    the host report)
#   space.sh prune   make prune: gives back BuildKit's cache and the leases
#                    builds left, then, in the image layout, trims the file;
#                    says how much that gave back
#   space.sh check   reads every stored blob against its digest and checks
#                    that every image has all of its blobs; exit 1 otherwise
# Images, containers and volumes are never removed here: that is the user's
# call (nerdctl rmi, nerdctl system prune).
set -eu
. /scripts/common.sh
. /scripts/fs.sh

MIN=${NDIND_STORAGE_MIN_FREE:-10}
STORE=/var/lib/containerd
# storage.sh keeps the stack's folder reachable there; in the image layout
# the folder's own filesystem holds the image file.
FOLDER=$NDIND_RUN/storage-folder

image_layout() { [ "$(cat "$NDIND_RUN/storage-layout" 2>/dev/null)" = image ]; }

do_free() {
	low=
	text=$(free_share "$STORE" "$MIN") || low=1
	if image_layout; then
		outer=$(free_share "$FOLDER" "$MIN") || low=1
		text="inside the image file $text; the folder's filesystem $outer"
	fi
	[ -n "$low" ] || { echo "$text"; return 0; }
	echo "$text: below storageMinFree ($MIN%)"
	exit 3
}

# KiB the store takes: in the folder layout what its three parts hold (the
# folder's filesystem may hold more than this stack), in the image layout
# what is used inside the file.
used_kib() {
	if image_layout; then
		df -P -k "$STORE" | awk 'NR == 2 { print $3 }'
	else
		du -sk /var/lib/containerd /var/lib/nerdctl /var/lib/buildkit | awk '{ k += $1 } END { print k }'
	fi
}

do_prune() {
	before=$(used_kib)
	if buildkit_serving; then
		# --all: records still "in use" by no build, kept by the plain prune.
		total=$(buildctl prune --all | sed -n 's/^Total:[[:space:]]*//p')
		echo "prune: BuildKit cache: removed ${total:-nothing}"
	else
		echo "prune: BuildKit cache: buildkitd is not running here; skipped"
	fi
	# Leases BuildKit takes for a build's life and leaves when the build
	# fails; --sync runs containerd's collector before answering, so what
	# they held is free when this is measured. A build running now loses its
	# leases: run this when none does.
	n=0
	for ns in $(ctr namespaces ls -q); do
		for lease in $(ctr -n "$ns" leases ls | awk 'NR > 1 && /buildkit\/lease\.temporary/ { print $1 }'); do
			ctr -n "$ns" leases delete --sync "$lease" >/dev/null
			n=$((n + 1))
		done
	done
	echo "prune: leases builds left: removed $n"
	active=$(ctr content active | awk 'NR > 1' | wc -l)
	[ "$active" = 0 ] || echo "prune: $active transfer(s) still writing (ctr content active): a pull or build runs; what it holds stays"
	after=$(used_kib)
	echo "prune: gave back $(((before - after) / 1024)) MiB ($before KiB -> $after KiB used); $(free_share "$STORE" "$MIN" || :)"
	if image_layout; then
		/scripts/storage.sh trim
	fi
}

# Content is shared between namespaces: each blob is read once, through
# the first namespace that lists it.
do_check() {
	blobs=0 bad=0
	for ns in $(ctr namespaces ls -q); do
		ctr -n "$ns" content ls -q | sed "s|^|$ns |"
	done | sort -u -k2,2 >"$NDIND_RUN/check-blobs"
	while read -r ns d; do
		sum=$(ctr -n "$ns" content get "$d" | sha256sum | cut -d' ' -f1)
		blobs=$((blobs + 1))
		[ "sha256:$sum" = "$d" ] || { echo "check: MISMATCH: blob $d (namespace $ns) reads as sha256:$sum"; bad=$((bad + 1)); }
	done <"$NDIND_RUN/check-blobs"
	rm -f "$NDIND_RUN/check-blobs"
	images=0
	for ns in $(ctr namespaces ls -q); do
		# The STATUS column: complete (N/N), or incomplete/missing naming the count.
		for line in $(ctr -n "$ns" images check | awk 'NR > 1 { print $1 "|" $4 }'); do
			images=$((images + 1))
			case ${line#*|} in
			complete) ;;
			*) echo "check: image ${line%%|*} (namespace $ns) is ${line#*|}: blobs are missing"; bad=$((bad + 1)) ;;
			esac
		done
	done
	if [ "$bad" = 0 ]; then
		echo "check: $blobs blob(s) read back: every one matches its digest; $images image(s), each complete"
	else
		echo "check: $bad problem(s) in $blobs blob(s) and $images image(s)"
		exit 1
	fi
}

case ${1:-} in
free) do_free ;;
prune) do_prune ;;
check) do_check ;;
*) die "usage: space.sh free|prune|check" ;;
esac
