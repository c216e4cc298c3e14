#!/bin/sh
# `make registry` / `make registry-stop`: the local registry shared by the
# stacks of one Docker host. One container, nerdctl-dind-registry, on the
# Docker network nerdctl-dind as ndind-registry:5000 (stacks with
# localRegistry: true join that network), published on 127.0.0.1:PORT for the
# host (docker push localhost:PORT/x); its storage is a host folder that
# outlives it. Image: registry:2 when the engine has it or can pull it, else
# the offline nerdctl-dind/registry:bookworm (toolchain/registry-image.sh).
# Usage: local-registry.sh start|stop|status
# Environment: REGISTRY_PORT (5000), REGISTRY_DIR (lib/.registry),
# REGISTRY_IMAGE (registry:2), DOCKER_HOST.
set -eu
. "$(dirname "$0")/lib.sh"

NAME=nerdctl-dind-registry
NETWORK=nerdctl-dind
ALIAS=ndind-registry
PORT=${REGISTRY_PORT:-5000}
DATA=${REGISTRY_DIR:-$NDIND_ROOT/lib/.registry}
IMAGE=${REGISTRY_IMAGE:-registry:2}
OFFLINE=nerdctl-dind/registry:bookworm

pick_image() {
	docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
	if docker pull -q "$IMAGE" >/dev/null 2>&1; then return 0; fi
	[ -z "${REGISTRY_IMAGE:-}" ] || die "registry image $IMAGE: not on this engine and cannot be pulled"
	log "$IMAGE cannot be pulled here; using the offline $OFFLINE"
	IMAGE=$OFFLINE
	docker image inspect "$IMAGE" >/dev/null 2>&1 || sh "$(dirname "$0")/registry-image.sh"
}

answers() { curl -sf -o /dev/null "http://127.0.0.1:$PORT/v2/"; }

start() {
	docker network inspect "$NETWORK" >/dev/null 2>&1 || {
		log "creating Docker network $NETWORK"
		docker network create "$NETWORK" >/dev/null
	}
	if [ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ]; then
		log "$NAME already runs: $(status)"
		return 0
	fi
	docker rm -f "$NAME" >/dev/null 2>&1 || :
	pick_image
	mkdir -p "$DATA"
	log "starting $NAME ($IMAGE) on $NETWORK as $ALIAS:5000, published on 127.0.0.1:$PORT, storage $DATA"
	docker run -d --name "$NAME" --restart unless-stopped --network "$NETWORK" --network-alias "$ALIAS" \
		-p "127.0.0.1:$PORT:5000" --mount "type=bind,source=$DATA,target=/var/lib/registry" \
		--label nerdctl-dind.registry-port="$PORT" "$IMAGE" >/dev/null
	wait_until 30 answers ||
		die "$NAME does not answer on 127.0.0.1:$PORT after 30 s: $(docker logs --tail 5 "$NAME" 2>&1)"
	log "local registry ready: $(status)"
}

status() {
	port=$(docker inspect -f '{{index .Config.Labels "nerdctl-dind.registry-port"}}' "$NAME" 2>/dev/null) ||
		{ echo "not running"; return 0; }
	echo "host: localhost:$port, stacks: $ALIAS:5000 and localhost:$port (set localRegistry true, localRegistryPort $port)"
}

stop() {
	# The network stays while a wrapper uses it; the storage folder stays always.
	docker rm -f "$NAME" >/dev/null 2>&1 && log "stopped $NAME; images kept in $DATA" || log "$NAME was not running"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*) die "usage: $0 start|stop|status" ;;
esac
