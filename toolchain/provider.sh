#!/bin/sh
# Builds our resource provider plugin (provider/, Pulumi package ndind) and
# installs it into Pulumi's plugin cache at the version in provider/VERSION,
# the one the program's resources ask for.
# Build: $NDIND_CACHE/provider/<hash of provider/'s sources>/pulumi-resource-ndind,
# so an edit gives a new build and an unchanged tree reuses the old one. The
# install is redone only when the stamp says another build is installed.
set -eu
. "$(dirname "$0")/lib.sh"

SRC=$NDIND_ROOT/provider
VERSION=$(cat "$SRC/VERSION")
NAME=pulumi-resource-ndind
OUT=$NDIND_CACHE/provider
STAMP=$OUT/installed
PLUGIN=${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-ndind-v$VERSION/$NAME

# The CLI built by pulumi-cli.sh, for shells whose PATH lacks it.
PULUMI_BIN=$NDIND_CACHE/pulumi/v$(npm_pin @pulumi/pulumi)/bin
[ ! -x "$PULUMI_BIN/pulumi" ] || PATH=$PULUMI_BIN:$PATH

# The key: every file the build reads (tests excluded), names and contents.
key=$(go_source_key "$SRC")
bin=$OUT/$key/$NAME

if [ -x "$bin" ]; then
	log "$NAME $VERSION ($key) already built"
else
	command -v go >/dev/null || die "Go is needed to build $NAME: put it on the PATH"
	log "building $NAME $VERSION ($key) from $SRC"
	mkdir -p "$OUT/$key"
	# A name of this run's own: two checkouts may build the same key at once.
	(cd "$SRC" && GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "-s -w" -o "$bin.new.$$" .)
	mv "$bin.new.$$" "$bin"
	# Earlier builds are dead weight (the plugin cache holds its own copy),
	# once a day old: another checkout may be building one right now.
	find "$OUT" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -mmin +1440 -exec rm -rf {} +
fi

if [ -x "$PLUGIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION $key" ]; then
	log "$NAME $VERSION ($key) already installed: $PLUGIN"
	exit 0
fi
log "installing $NAME $VERSION ($key) into Pulumi's plugin cache"
pulumi plugin install resource ndind "$VERSION" --file "$bin" --reinstall >/dev/null
[ -x "$PLUGIN" ] || die "pulumi plugin install did not put $NAME at $PLUGIN"
echo "$VERSION $key" >"$STAMP"
log "$NAME $VERSION installed: $PLUGIN"
