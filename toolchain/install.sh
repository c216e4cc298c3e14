#!/bin/sh
# `make toolchain`: everything the project needs on this machine, from the
# project's own files and the registries reachable here. Idempotent; heavy
# parts are cached by version in $NDIND_CACHE.
set -eu
. "$(dirname "$0")/lib.sh"
cd "$NDIND_ROOT"

start=$(date +%s)
step() {
	log "toolchain: $1"
	shift
	"$@"
}

# Node 20 gives npm modules; their install scripts would ask a `pulumi` on
# the PATH to download plugins, which cannot work offline.
npm_modules() {
	if [ -n "$(find node_modules/.package-lock.json -newer package-lock.json 2>/dev/null)" ]; then
		log "npm modules up to date"
		return 0
	fi
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
}

step "npm modules" npm_modules
step "secrets passphrase" sh toolchain/passphrase.sh
step "Docker engine" sh toolchain/docker-engine.sh
step "Pulumi CLI" sh toolchain/pulumi-cli.sh
step "ndind provider" sh toolchain/provider.sh
step "port forwarder" sh toolchain/forward.sh
step "docker and command plugins" sh toolchain/plugins.sh
step "offline images" sh toolchain/base-image.sh
step "registry images" sh toolchain/registry-image.sh
# The release's bundle, even where nerdctl/src is: an edited tree is built by
# the stack's up (its bundle step), not before every verb.
step "container bundle" env NDIND_NERDCTL_SRC=none sh nerdctl/build.sh >/dev/null
log "toolchain ready in $(($(date +%s) - start)) s"
