#!/bin/sh
# Builds the Pulumi docker resource provider plugin from its Go modules at the
# version package.json pins for @pulumi/docker, and installs it into Pulumi's
# plugin cache. Its go.mod replaces the Terraform provider with ../upstream, so
# `go install` refuses it: the modules are laid out side by side as in the
# provider's repository and built there (DESIGN.md section 4).
set -eu
. "$(dirname "$0")/lib.sh"

VER=$(npm_pin @pulumi/docker)
PULUMI_VER=$(npm_pin @pulumi/pulumi)
# The provider module has no Go tags, so each release is its commit's
# pseudo-version; the upstream is kreuzwerker's fork at the submodule commit.
case $VER in
5.0.0)
	PROVIDER_AT=v5.0.0-20260421125334-c2baf6a4997f
	UPSTREAM_AT=v0.0.0-20260414203857-619686ddb44a
	;;
*) die "no known commits for @pulumi/docker $VER; add them to $0" ;;
esac
PROVIDER_MOD=github.com/pulumi/pulumi-docker/provider/v5
UPSTREAM_MOD=github.com/terraform-providers/terraform-provider-docker
UPSTREAM_FORK=github.com/kreuzwerker/terraform-provider-docker

OUT="$NDIND_CACHE/providers/docker/v$VER"
BIN="$OUT/pulumi-resource-docker"
SRC="$NDIND_CACHE/src/pulumi-docker-v$VER"
PATH="$NDIND_CACHE/pulumi/v$PULUMI_VER/bin:$PATH"
export PATH

# Prints the download directory of module $1 (resolved inside module dir $2).
mod_dir() {
	json=$(cd "$2" && go mod download -json "$1") ||
		die "the Go module proxy refused $1: $(printf '%s' "$json" | sed -n 's/.*"Error": "\(.*\)"/\1/p')"
	printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'
}

# A writable copy of a read-only module download.
copy_module() {
	rm -rf "$2"
	mkdir -p "$(dirname "$2")"
	cp -R "$1" "$2"
	chmod -R u+w "$2"
}

# Our own shim: the provider imports $UPSTREAM_MOD/shim for the constructor
# the upstream keeps in an internal package.
write_shim() {
	mkdir -p "$1/shim"
	cat >"$1/shim/shim.go" <<-EOF
		// Package shim exposes the upstream's internal provider to the bridge.
		package shim

		import (
			"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

			"$UPSTREAM_MOD/internal/provider"
		)

		func NewProvider() *schema.Provider { return provider.New("$VER")() }
	EOF
	gofmt -w "$1/shim/shim.go"
}

build() {
	scratch="$SRC/.download"
	mkdir -p "$scratch"
	# The fork names itself $UPSTREAM_MOD, so it is only reachable through a replace.
	cat >"$scratch/go.mod" <<-EOF
		module scratch

		go 1.25

		require $UPSTREAM_MOD v0.0.0

		replace $UPSTREAM_MOD => $UPSTREAM_FORK $UPSTREAM_AT
	EOF
	log "downloading $PROVIDER_MOD@$PROVIDER_AT and $UPSTREAM_FORK@$UPSTREAM_AT"
	pdir=$(mod_dir "$PROVIDER_MOD@$PROVIDER_AT" "$scratch")
	udir=$(mod_dir "$UPSTREAM_MOD" "$scratch")
	copy_module "$pdir" "$SRC/provider"
	copy_module "$udir" "$SRC/upstream"
	write_shim "$SRC/upstream"

	log "writing schema-embed.json for $VER"
	(cd "$SRC/provider/cmd/pulumi-resource-docker" && VERSION=$VER GOFLAGS=-mod=mod go run generate.go)

	log "building pulumi-resource-docker $VER (many minutes when cold)"
	mkdir -p "$OUT"
	(cd "$SRC/provider" && GOFLAGS=-mod=mod go build -trimpath -o "$BIN.tmp" \
		-ldflags "-s -w -X $PROVIDER_MOD/pkg/version.Version=$VER" ./cmd/pulumi-resource-docker)
	mv "$BIN.tmp" "$BIN"
}

if [ -x "$BIN" ]; then
	log "cached: $BIN"
else
	build
fi

command -v pulumi >/dev/null || die "no pulumi CLI on PATH (expected in $NDIND_CACHE/pulumi/v$PULUMI_VER/bin)"
if pulumi plugin ls 2>/dev/null | awk -v v="$VER" '$1 == "docker" && $2 == "resource" && $3 == v { f = 1 } END { exit !f }'; then
	log "plugin resource docker $VER is already installed"
else
	log "installing plugin resource docker $VER"
	pulumi plugin install resource docker "$VER" --file "$BIN"
fi
