#!/bin/sh
# Builds the Pulumi CLI and the Node.js language host from their Go modules,
# since the npm `pulumi` package only downloads the CLI from the internet.
# Output: $NDIND_CACHE/pulumi/v<version>/bin (put it first on the PATH).
set -eu
. "$(dirname "$0")/lib.sh"

V=$(npm_pin @pulumi/pulumi)
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
# The module proxy here serves no version of the language host's own module
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), so it is
# built from the newest sdk/v3 release that still carried it inside the sdk
# module. Its RPCs and the `@pulumi/pulumi/cmd/run` flags it passes are ones the
# engine and the npm SDK at $V still accept.
LANGHOST_SDK=v3.68.0

OUT=$NDIND_CACHE/pulumi/v$V
BIN=$OUT/bin
mkdir -p "$BIN" "$OUT/src"

# go mod download prints the unpacked module's directory; copies are made
# writable because the module cache is read-only.
module_copy() { # MODULE@VERSION DEST
	[ -d "$2" ] && return 0
	dir=$(cd "$OUT" && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -n "$dir" ] || die "go mod download $1 failed"
	log "copying $1 to $2"
	rm -rf "$2.tmp"
	cp -R "$dir" "$2.tmp"
	chmod -R u+w "$2.tmp"
	mv "$2.tmp" "$2"
}

# The language host has no version flag: a marker file beside it records the
# version it was built at.
stamped() { # BINARY VERSION
	[ -x "$1" ] && [ "$(cat "$1.version" 2>/dev/null)" = "$2" ]
}

go_build() { # SRCDIR PACKAGE VERSION OUTPUT
	log "building $2 ($3) in $1"
	(cd "$1" && go build -trimpath -ldflags "-X $VERSION_VAR=$3" -o "$4.new" "$2")
	mv "$4.new" "$4"
}

if [ "$("$BIN/pulumi" version 2>/dev/null || true)" = "v$V" ]; then
	log "pulumi v$V already built: $BIN/pulumi"
else
	# pkg's go.mod replaces the sdk with ../sdk, as in the pulumi repository.
	module_copy "github.com/pulumi/pulumi/pkg/v3@v$V" "$OUT/src/pkg"
	module_copy "github.com/pulumi/pulumi/sdk/v3@v$V" "$OUT/src/sdk"
	go_build "$OUT/src/pkg" ./cmd/pulumi "v$V" "$BIN/pulumi"
fi

if stamped "$BIN/pulumi-language-nodejs" "$LANGHOST_SDK"; then
	log "pulumi-language-nodejs $LANGHOST_SDK already built"
else
	module_copy "github.com/pulumi/pulumi/sdk/v3@$LANGHOST_SDK" "$OUT/src/langhost-sdk"
	go_build "$OUT/src/langhost-sdk" ./nodejs/cmd/pulumi-language-nodejs "$LANGHOST_SDK" \
		"$BIN/pulumi-language-nodejs"
	echo "$LANGHOST_SDK" >"$BIN/pulumi-language-nodejs.version"
fi

log "pulumi $("$BIN/pulumi" version) ready: PATH=$BIN:\$PATH"
