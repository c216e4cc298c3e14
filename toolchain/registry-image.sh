#!/bin/sh
# Offline registry and test images, since registry:2 cannot be pulled here:
#  - nerdctl-dind/registry:bookworm, Debian's docker-registry (the
#    distribution registry 2.8) on the offline base, laid out like registry:2
#    (port 5000, storage /var/lib/registry, access log on stdout);
#  - nerdctl-dind/testkit:bookworm, the same plus tinyproxy and apache2-utils
#    (htpasswd), for the end-to-end tests of registries and proxies.
# Built from Debian's packages on the offline base; cached as a tarball keyed
# by this script, imported when missing.
set -eu
. "$(dirname "$0")/lib.sh"

BASE=${NDIND_BASE_IMAGE:-nerdctl-dind/base:bookworm}
REGISTRY_TAG=nerdctl-dind/registry:bookworm
TESTKIT_TAG=nerdctl-dind/testkit:bookworm
DIR="$NDIND_CACHE/images"
TAR="$DIR/registry-$(cksum <"$0" | cut -d' ' -f1).tar"

build() {
	ctx=$(mktemp -d)
	cat >"$ctx/config.yml" <<'YML'
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
YML
	cat >"$ctx/Dockerfile.registry" <<DF
FROM $BASE
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null && rm -rf /var/lib/apt/lists/*
COPY config.yml /etc/docker/registry/config.yml
VOLUME /var/lib/registry
EXPOSE 5000
ENTRYPOINT ["/usr/bin/docker-registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
DF
	cat >"$ctx/Dockerfile.testkit" <<DF
FROM $REGISTRY_TAG
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tinyproxy apache2-utils >/dev/null && rm -rf /var/lib/apt/lists/*
DF
	log "building $REGISTRY_TAG and $TESTKIT_TAG from Debian's docker-registry, tinyproxy, apache2-utils"
	DOCKER_BUILDKIT=0 docker build -q -f "$ctx/Dockerfile.registry" -t "$REGISTRY_TAG" "$ctx" >/dev/null
	DOCKER_BUILDKIT=0 docker build -q -f "$ctx/Dockerfile.testkit" -t "$TESTKIT_TAG" "$ctx" >/dev/null
	rm -rf "$ctx"
	docker save "$REGISTRY_TAG" "$TESTKIT_TAG" -o "$TAR.tmp"
	mv "$TAR.tmp" "$TAR"
}

mkdir -p "$DIR"
if docker image inspect "$REGISTRY_TAG" "$TESTKIT_TAG" >/dev/null 2>&1 && [ -s "$TAR" ]; then
	:
elif [ -s "$TAR" ]; then
	docker load -q -i "$TAR" >/dev/null
else
	build
fi
log "registry images ready: $REGISTRY_TAG, $TESTKIT_TAG"
