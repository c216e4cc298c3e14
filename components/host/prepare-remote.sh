#!/bin/sh
# The prepare step on a remote engine, run on the machine running Pulumi:
# scripts/prepare.sh in the wrapper (waits for containerd, reports), then each
# preload tarball streamed over the engine connection to prepare.sh --stream,
# since the wrapper's host cannot see this machine's files.
# Usage: prepare-remote.sh CONTAINER TARBALL...; $ENGINE_NAME names the engine.
set -eu
. "$(dirname "$0")/../../scripts/log.sh"

container=$1
shift
docker exec "$container" /scripts/prepare.sh --no-preload
loaded=0
present=0
for tarball in "$@"; do
	name=$(basename "$tarball")
	# Read here: only the manifest decides whether the tarball is sent.
	manifest=$({ tar -xOf "$tarball" manifest.json 2>/dev/null || tar -xOf "$tarball" index.json 2>/dev/null || :; } | tr -d '\n')
	out=$(docker exec -i -e NDIND_MANIFEST="$manifest" "$container" /scripts/prepare.sh --stream "$name" <"$tarball") || {
		printf '%s\n' "$out"
		die "preload $name could not be streamed to $container on $ENGINE_NAME"
	}
	printf '%s\n' "$out"
	case $out in
	*": loading (streamed)"*) loaded=$((loaded + 1)) ;;
	*) present=$((present + 1)) ;;
	esac
done
log "preload summary: loaded=$loaded present=$present (streamed to $ENGINE_NAME)"
