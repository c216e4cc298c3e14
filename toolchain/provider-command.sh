#!/bin/sh
# Builds the `command` resource provider plugin pinned by @pulumi/command and
# installs it into Pulumi's plugin cache, so `pulumi up` needs no download.
# Needs the CLI from toolchain/pulumi-cli.sh.
set -eu
. "$(dirname "$0")/lib.sh"

VER=$(npm_pin @pulumi/command)
MODULE=github.com/pulumi/pulumi-command/provider
# The provider module has no Go tags: a release is addressed by the
# pseudo-version of its release commit (commit time in UTC, short hash).
case $VER in
1.2.1) PSEUDO=v0.0.0-20260303235922-7f3eb6f3b77c ;;
*) die "no known release commit for @pulumi/command $VER: add its pseudo-version here" ;;
esac

OUT=$NDIND_CACHE/providers/command/v$VER
BIN=$OUT/pulumi-resource-command
PULUMI_BIN=$NDIND_CACHE/pulumi/v$(npm_pin @pulumi/pulumi)/bin
[ -x "$PULUMI_BIN/pulumi" ] || die "no pulumi CLI in $PULUMI_BIN: run toolchain/pulumi-cli.sh first"
PATH=$PULUMI_BIN:$PATH

# A marker beside the binary records what it was built from.
if [ -x "$BIN" ] && [ "$(cat "$BIN.version" 2>/dev/null)" = "$VER $PSEUDO" ]; then
	log "pulumi-resource-command $VER already built: $BIN"
else
	log "building $MODULE@$PSEUDO as $VER"
	mkdir -p "$OUT"
	# The module's go.mod has no replace lines, so go install can build it as is.
	GOBIN=$OUT/gobin go install -trimpath \
		-ldflags "-X $MODULE/pkg/version.Version=$VER" \
		"$MODULE/cmd/pulumi-resource-command@$PSEUDO" ||
		die "could not build $MODULE@$PSEUDO (is that version served by the Go module proxy?)"
	mv "$OUT/gobin/pulumi-resource-command" "$BIN"
	rmdir "$OUT/gobin"
	echo "$VER $PSEUDO" >"$BIN.version"
fi

if pulumi plugin ls 2>/dev/null | awk -v v="$VER" '$1 == "command" && $2 == "resource" && $3 == v { f = 1 } END { exit !f }'; then
	log "plugin resource command $VER already installed"
else
	log "installing plugin resource command $VER from $BIN"
	pulumi plugin install resource command "$VER" --file "$BIN"
fi
