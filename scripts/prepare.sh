#!/bin/sh
# Run by Pulumi's prepare step in the wrapper: waits for containerd, loads the
# preload tarballs that are not stored yet, and reports. Safe to run again.
#   prepare.sh                 tarballs from /preload (the wrapper's host has them)
#   prepare.sh --no-preload    wait and report only
#   prepare.sh --stream NAME   one tarball on stdin, its manifest in $NDIND_MANIFEST
#                              (streamed from the machine running Pulumi when the
#                              engine is remote: components/host/prepare-remote.sh)
set -eu
. /scripts/common.sh

PRELOAD_DIR=/preload

# Image names in a manifest on stdin: docker save's manifest.json RepoTags, or
# an OCI index's image-name annotations. Empty when it names none.
manifest_images() {
	tr '{}[],' '\n\n\n\n\n' |
		sed -n -e 's/^"RepoTags":"\(.*\)"$/\1/p' -e 's/^"\(.*\)"$/\1/p' \
			-e 's/.*"io.containerd.image.name":"\([^"]*\)".*/\1/p' |
		grep -E '^[a-z0-9][^ ]*:[^ /]+$' || :
}

tarball_images() {
	{ tar -xOf "$1" manifest.json 2>/dev/null || tar -xOf "$1" index.json 2>/dev/null || :; } | manifest_images
}

all_present() {
	[ -n "$1" ] || return 1
	for image in $1; do
		# Not `image inspect`: nerdctl 1.5.0 crashes on images whose history
		# lacks a creation time.
		[ -n "$(nerdctl images -q "$image" 2>/dev/null)" ] || return 1
	done
}

# nerdctl load keeps only the host's platform unless told otherwise, so a
# preloaded foreign-architecture image (run through make binfmt's handlers)
# would be dropped: --all-platforms keeps what the tarball holds.
load_preloads() {
	loaded=0
	present=0
	for tarball in "$PRELOAD_DIR"/*; do
		[ -f "$tarball" ] || continue
		images=$(tarball_images "$tarball")
		if all_present "$images"; then
			log "preload $(basename "$tarball"): present ($(echo $images)), not loaded again"
			present=$((present + 1))
			continue
		fi
		log "preload $(basename "$tarball"): loading"
		nerdctl load --all-platforms -i "$tarball" >/dev/null 2>"$NDIND_RUN/load.err" ||
			die "preload $(basename "$tarball") could not be loaded: $(tail -n 1 "$NDIND_RUN/load.err")"
		loaded=$((loaded + 1))
	done
	log "preload summary: loaded=$loaded present=$present"
}

# nerdctl build needs buildkitd, which starts once containerd serves; polled.
wait_for_buildkit() {
	command -v buildkitd >/dev/null || { log "buildkit: not in this bundle"; return 0; }
	wait_until "$1" buildkit_serving ||
		die "buildkitd is not serving after $1 s; see /var/log/buildkitd.log"
	log "buildkit serving: $(buildkitd --version | cut -d' ' -f3), worker $(buildctl debug workers | sed -n 2p | cut -c1-25)"
}

# One streamed tarball: "present" when every image it names is stored, else
# loaded from stdin.
stream_preload() {
	images=$(printf '%s' "${NDIND_MANIFEST:-}" | manifest_images)
	if all_present "$images"; then
		log "preload $1: present ($(echo $images)), not loaded again"
		return 0
	fi
	log "preload $1: loading (streamed)"
	nerdctl load --all-platforms >/dev/null 2>"$NDIND_RUN/load.err" ||
		die "preload $1 could not be loaded: $(tail -n 1 "$NDIND_RUN/load.err")"
}

if [ "${1:-}" = --stream ]; then
	wait_for_containerd "${NDIND_READY_TIMEOUT:-60}"
	stream_preload "$2"
	exit 0
fi
log "/scripts/prepare.sh running"
wait_for_containerd "${NDIND_READY_TIMEOUT:-60}"
wait_for_buildkit "${NDIND_READY_TIMEOUT:-60}"
log "containerd serving: $(containerd --version | cut -d' ' -f3), runc $(runc --version | sed -n 's/^runc version //p'), $(nerdctl --version), iptables $(cat "$NDIND_RUN/iptables-backend")"
[ "${1:-}" = --no-preload ] || load_preloads
log "/scripts/prepare.sh finished"
