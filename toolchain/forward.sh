#!/bin/sh
# Builds the port forwarder (forward/, Go, standard library only) into
# forward/out/: ndind-forward for this machine, which also serves as the agent
# on engines of this machine's architecture, and ndind-forward-linux-<arch>
# agents for the other one (amd64 or arm64). The builds are cached in
# $NDIND_CACHE/forward-build/<hash of the sources>/, shared by checkouts.
set -eu
. "$(dirname "$0")/lib.sh"

SRC=$NDIND_ROOT/forward
OUT=$SRC/out
key=$(go_source_key "$SRC")
build=$NDIND_CACHE/forward-build/$key
host_arch=$(go env GOARCH 2>/dev/null || uname -m)
case $host_arch in x86_64) host_arch=amd64 ;; aarch64) host_arch=arm64 ;; esac
other=arm64
[ "$host_arch" != arm64 ] || other=amd64

if [ -x "$build/ndind-forward" ] && [ -x "$build/ndind-forward-linux-$other" ]; then
	log "ndind-forward ($key) already built"
else
	command -v go >/dev/null || die "Go is needed to build ndind-forward: put it on the PATH"
	log "building ndind-forward ($key) for this machine ($host_arch) and an agent for linux/$other"
	mkdir -p "$build"
	# Static (no cgo): the same file runs in any wrapper image, Alpine or Debian.
	(cd "$SRC" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" -o "$build/ndind-forward.new" . &&
		CGO_ENABLED=0 GOOS=linux GOARCH=$other GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" -o "$build/ndind-forward-linux-$other.new" .)
	mv "$build/ndind-forward.new" "$build/ndind-forward"
	mv "$build/ndind-forward-linux-$other.new" "$build/ndind-forward-linux-$other"
fi

# Into the checkout by rename, so a running forwarder keeps its own file.
mkdir -p "$OUT"
for f in ndind-forward "ndind-forward-linux-$other"; do
	if ! cmp -s "$build/$f" "$OUT/$f"; then
		cp "$build/$f" "$OUT/$f.new"
		mv "$OUT/$f.new" "$OUT/$f"
		log "forward/out/$f: build $key"
	fi
done
