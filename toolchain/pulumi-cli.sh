#!/bin/sh
# The Pulumi CLI and its Node.js language host. A `pulumi` on the PATH at or
# above the version package.json pins is used as it is; otherwise both are
# built from their Go modules, since the npm `pulumi` package only downloads
# the CLI from the internet.
# Output: $NDIND_CACHE/pulumi/v<version>/bin when built, and the file
# $NDIND_CACHE/pulumi/use saying "path <dir>" or "cache <dir>": the Makefile
# puts the cache's bin first on the PATH unless it says "path".
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
USE=$NDIND_CACHE/pulumi/use

use() { # path|cache DIR
	mkdir -p "$(dirname "$USE")"
	echo "$1 $2" >"$USE.tmp"
	mv "$USE.tmp" "$USE"
}

# The first NAME on the PATH that is not ours: the Makefile has put our
# cache's bin in front, which must not hide the user's own CLI.
own() { # NAME
	_rest=$PATH
	while [ -n "$_rest" ]; do
		_dir=${_rest%%:*}
		case $_rest in *:*) _rest=${_rest#*:} ;; *) _rest= ;; esac
		[ -n "$_dir" ] && [ "$_dir" != "$BIN" ] && [ -x "$_dir/$1" ] && { echo "$_dir/$1"; return 0; }
	done
	return 1
}

if cli=$(own pulumi); then
	dir=$(dirname "$cli")
	have=$("$cli" version 2>/dev/null || echo unknown)
	# Pulumi finds the language host beside its own binary or on the PATH.
	if ! version_ge "$have" "$V"; then
		log "$cli is $have, below the pinned v$V: building v$V"
	elif [ ! -x "$dir/pulumi-language-nodejs" ] && ! own pulumi-language-nodejs >/dev/null; then
		log "$cli is $have but no pulumi-language-nodejs is beside it or on the PATH: building v$V"
	else
		use path "$dir"
		log "pulumi $have on the PATH used as it is: $cli (pinned v$V or above)"
		exit 0
	fi
fi

mkdir -p "$BIN" "$OUT/src"

# A writable copy of the module's source, made once.
module_copy() { # MODULE@VERSION DEST
	[ -d "$2" ] && return 0
	json=$(go_module_json "$1") || die "go mod download $1 failed: $json"
	log "copying $1 to $2"
	rm -rf "$2.tmp"
	copy_writable "$(json_field "$json" Dir)" "$2.tmp"
	mv "$2.tmp" "$2"
}

# The language host has no version flag: a marker file beside it records the
# version it was built at.
stamped() { # BINARY VERSION
	[ -x "$1" ] && [ "$(cat "$1.version" 2>/dev/null)" = "$2" ]
}

go_build() { # SRCDIR PACKAGE VERSION OUTPUT
	log "building $2 ($3) in $1"
	# A name of this run's own: two checkouts may build it at once.
	(cd "$1" && go build -trimpath -ldflags "-X $VERSION_VAR=$3" -o "$4.new.$$" "$2")
	mv "$4.new.$$" "$4"
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

use cache "$BIN"
log "pulumi $("$BIN/pulumi" version) ready: PATH=$BIN:\$PATH"
