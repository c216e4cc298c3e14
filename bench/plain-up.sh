#!/bin/sh
# The baseline: the same environment brought up by a plain script with the
# docker CLI, as the original notes' r.sh did, with no Pulumi. Used by
# bench/run.sh to price Pulumi's overhead; it does the same steps (verify and
# the host report side by side, as the stack does). Not a way to run the project.
# usage: plain-up.sh NAME STORAGE_DIR   |   plain-up.sh --down NAME
set -eu
. "$(dirname "$0")/../toolchain/lib.sh"
cd "$NDIND_ROOT"

if [ "$1" = --down ]; then
	docker rm -f "$2" >/dev/null
	exit 0
fi
name=$1
storage=$2
key=$(sh nerdctl/build.sh)
mkdir -p "$storage/containerd" "$storage/nerdctl" "$storage/buildkit"
DOCKER_BUILDKIT=0 docker build -q -f dockerfile -t "nerdctl-dind:$name" \
	--build-arg BASE_IMAGE=nerdctl-dind/base:bookworm --build-arg BUNDLE="$key" . >/dev/null
docker run -d --name "$name" --privileged --cgroupns private --init --restart unless-stopped \
	--tmpfs /run:rw,exec,mode=755 \
	--mount "type=bind,source=$storage/containerd,target=/var/lib/containerd" \
	--mount "type=bind,source=$storage/nerdctl,target=/var/lib/nerdctl" \
	--mount "type=bind,source=$storage/buildkit,target=/var/lib/buildkit" \
	--mount "type=bind,source=$NDIND_CACHE/images/busybox.tar,target=/preload/busybox.tar,readonly" \
	"nerdctl-dind:$name" >/dev/null
docker exec "$name" /scripts/prepare.sh >/dev/null
docker exec "$name" /scripts/verify.sh >/dev/null &
docker exec "$name" /scripts/doctor.sh /var/lib/containerd >/dev/null
wait $!
