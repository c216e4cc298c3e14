#!/bin/sh
# Part of `make bench` (bench/run.sh runs it; it also runs alone): a 60 MiB
# image (busybox:ndind plus a layer of random bytes, made here, offline) pulled
# from the shared local registry into a stack with `nerdctl pull`, against
# `docker pull` of the same image from the same registry on the host. One run
# each, nothing cached on either side. Appends "name|s|s|s" rows to $1 if
# given, and prints the figures and their ratio.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
cd "$NDIND_ROOT"

ROWS=${1:-/dev/null}
PORT=${BENCH_REGISTRY_PORT:-15120}
STACK=bench-reg-$$
PULUMI="pulumi --non-interactive --stack $STACK"
BIG=localhost:$PORT/bench/big:$$
DATA=$(mktemp -d)
started=

now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.2f\n", $1 - $2 }'; }

cleanup() {
	$PULUMI destroy --yes --skip-preview >/dev/null 2>&1 || :
	pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || :
	docker rmi "nerdctl-dind:$STACK" "$BIG" "ndind-bench/big:$$" >/dev/null 2>&1 || :
	[ -z "$started" ] || sh toolchain/local-registry.sh stop >/dev/null 2>&1 || :
	rm -rf "$DATA" "$NDIND_ROOT/lib/${STACK:?}" "$(stack_file "$STACK")"
}
trap cleanup EXIT

if docker inspect nerdctl-dind-registry >/dev/null 2>&1; then
	PORT=$(docker inspect -f '{{index .Config.Labels "nerdctl-dind.registry-port"}}' nerdctl-dind-registry)
	BIG=localhost:$PORT/bench/big:$$
	log "bench: using the running local registry on port $PORT"
else
	REGISTRY_PORT=$PORT REGISTRY_DIR=$DATA sh toolchain/local-registry.sh start
	started=1
fi

log "bench: making a 60 MiB image and pushing it to localhost:$PORT"
printf 'FROM busybox:ndind\nRUN head -c 62914560 /dev/urandom >/blob\n' |
	DOCKER_BUILDKIT=0 docker build -q -t "ndind-bench/big:$$" - >/dev/null
docker tag "ndind-bench/big:$$" "$BIG"
docker push -q "$BIG" >/dev/null
# The host must fetch every layer again: drop the image and its layers.
docker rmi "$BIG" "ndind-bench/big:$$" >/dev/null

pulumi stack init "$STACK" >/dev/null
$PULUMI config set baseImage nerdctl-dind/base:bookworm
$PULUMI config set plugins ndind
$PULUMI config set localRegistry true
$PULUMI config set localRegistryPort "$PORT"
$PULUMI up --yes --skip-preview >/dev/null

t0=$(now)
docker exec "nerdctl-dind-$STACK" nerdctl pull -q "$BIG" >/dev/null
stack=$(since "$t0")
t0=$(now)
docker pull -q "$BIG" >/dev/null
host=$(since "$t0")
size=$(docker image inspect -f '{{.Size}}' "$BIG" | awk '{ printf "%.0f", $1 / 1048576 }')

echo "nerdctl pull of a ${size} MiB image from the local registry, in a stack|$stack|$stack|$stack" >>"$ROWS"
echo "docker pull of it from the same registry, on the host|$host|$host|$host" >>"$ROWS"
echo "registry pull: stack $stack s, host $host s, ratio stack/host $(echo "$stack $host" | awk '{ printf "%.2f", $1 / $2 }') (${size} MiB)"
