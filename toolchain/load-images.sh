#!/bin/sh
# `make load IMAGE="a b" [STACK=…]` and the hostImages setting: copies images
# from the host's Docker engine into a wrapper's containerd (what `kind load
# docker-image` does), as `docker save | docker exec -i WRAPPER nerdctl load`.
# An image already there with the same ID (its config digest, which both
# engines share) is skipped. DOCKER_HOST picks the engine, as for every docker call.
# A foreign-architecture image (linux/arm64 on an amd64 host) is loaded as
# such: nerdctl load keeps only the host's platform unless told, and then
# fails ("image might be filtered out"), so each image is loaded for its own platform.
# Usage: load-images.sh WRAPPER IMAGE...
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || die "usage: $0 WRAPPER IMAGE..."
WRAPPER=$1
shift
docker container inspect "$WRAPPER" >/dev/null 2>&1 ||
	die "no container $WRAPPER on ${DOCKER_HOST:-the local Docker engine}: run make up first"

# The config digest of an image in the wrapper, empty when it is absent.
# nerdctl's own image ID is the manifest digest, which docker save does not
# keep, so the config digest is read from the manifest in containerd's store.
inner_id() {
	docker exec "$WRAPPER" sh -c '
		m=$(ctr -n default images ls 2>/dev/null | awk -v n="$1" '\''$1 == n { print $3 }'\'')
		[ -n "$m" ] || exit 0
		ctr -n default content get "$m" | tr -d " \n" |
			sed -n "s/.*\"config\":{[^}]*\"digest\":\"\(sha256:[0-9a-f]*\)\".*/\1/p"' sh "$1"
}

# containerd names docker.io images in full.
full_name() {
	case $1 in
	*/*/*) n=$1 ;;
	*.*/* | *:*/* | localhost/*) n=$1 ;;
	*/*) n=docker.io/$1 ;;
	*) n=docker.io/library/$1 ;;
	esac
	case ${n##*/} in *:* | *@*) echo "$n" ;; *) echo "$n:latest" ;; esac
}

# docker save through pv when there is one (a progress bar), else a byte count at the end.
stream() {
	if command -v pv >/dev/null; then
		docker save "$1" | pv -f -s "$2" -N "$1"
	else
		docker save "$1" | dd bs=1048576 2>"$TMP/dd" || return 1
		log "$1: $(tail -n 1 "$TMP/dd")" >&2
	fi
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
loaded=0
present=0
for image in "$@"; do
	host_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null) ||
		die "host image $image: not on ${DOCKER_HOST:-the local Docker engine} (docker images lists what is); build or pull it first"
	if [ "$(inner_id "$(full_name "$image")")" = "$host_id" ]; then
		log "host image $image: present in $WRAPPER with the same ID ${host_id#sha256:}, not loaded again"
		present=$((present + 1))
		continue
	fi
	size=$(docker image inspect -f '{{.Size}}' "$image")
	# Variant is absent from older engines' answer; index gives nothing then.
	platform=$(docker image inspect -f '{{.Os}}/{{.Architecture}}{{with index . "Variant"}}/{{.}}{{end}}' "$image")
	log "host image $image: loading into $WRAPPER ($platform, $((size / 1048576)) MiB)"
	stream "$image" "$size" | docker exec -i "$WRAPPER" nerdctl load --platform "$platform" >"$TMP/out" 2>&1 ||
		die "host image $image could not be loaded into $WRAPPER: $(tail -n 3 "$TMP/out")"
	loaded=$((loaded + 1))
done
log "host images summary: loaded=$loaded present=$present"
