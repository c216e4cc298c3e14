#!/bin/sh
# The real providers behind implementation `pulumi` (@pulumi/docker and
# @pulumi/command, plugins at the versions package.json pins): installed into
# the Pulumi home when they are not, if Pulumi can fetch them. The answer goes
# to $PLUGINS_STATE as "<pins> installed" or "<pins> unavailable", so that
# `make stack` and the Makefile (which keeps automatic plugin acquisition off
# only where they are unavailable) read one line instead of probing.
# An "unavailable" answer is kept until the pins change or NDIND_PLUGINS_PROBE=1
# (make plugins) asks again: without a registry every probe costs its timeout.
set -eu
. "$(dirname "$0")/lib.sh"

# Bounded: a machine with no route to Pulumi's downloads may hang, not fail.
TIMEOUT=${NDIND_PLUGINS_TIMEOUT:-60}
real=$(real_plugins)
key=$(plugins_key "$real")
pins=$(plugins_words "$real")

record() { # installed|unavailable
	mkdir -p "$PULUMI_HOME_DIR"
	echo "$key $1" >"$PLUGINS_STATE.tmp"
	mv "$PLUGINS_STATE.tmp" "$PLUGINS_STATE"
}

if plugins_installed "$real"; then
	record installed
	log "real plugins $pins installed in $PULUMI_HOME_DIR"
	exit 0
fi
if [ "${NDIND_PLUGINS_PROBE:-}" != 1 ] && [ "$(cat "$PLUGINS_STATE" 2>/dev/null)" = "$key unavailable" ]; then
	log "real plugins $pins: unavailable here (found earlier; make plugins asks again)"
	exit 0
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%s\n' "$real" | while read -r name version; do
	log "pulumi plugin install resource $name $version (at most $TIMEOUT s)"
	timeout "$TIMEOUT" pulumi plugin install resource "$name" "$version" >"$out" 2>&1 || {
		rc=$?
		[ "$rc" != 124 ] || echo "no answer within $TIMEOUT s" >>"$out"
		# Pulumi retries; its first error says why, its last that it gave up.
		log "  failed ($rc): $(grep -m 1 -i error "$out" || tail -n 1 "$out")"
		exit 1
	}
done || {
	record unavailable
	log "real plugins $pins: unavailable here; new stacks get provider ndind"
	exit 0
}
plugins_installed "$real" || die "pulumi plugin install succeeded but pulumi plugin ls does not list $pins"
record installed
log "real plugins $pins installed in $PULUMI_HOME_DIR"
