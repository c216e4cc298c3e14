#!/bin/sh
# make lint: checks that run nothing. Shell syntax (sh -n) and shellcheck on
# every committed script, TypeScript types (tsc, strict) and formatting
# (tools/format.ts, make format), Go formatting and go vet on our plugin, the
# forwarder and the upstream tests' unbuffer, and no source file past 300
# lines unless tools/long-files.txt says why one job needs it. shellcheck comes from
# Debian when the machine lacks it.
set -eu
. "$(dirname "$0")/../toolchain/lib.sh"
cd "$NDIND_ROOT"

long=$(git ls-files '*.ts' '*.sh' '*.go' '*.js' | while read -r f; do
	n=$(wc -l <"$f")
	[ "$n" -le 300 ] || grep -q "^$f " tools/long-files.txt || echo "$f ($n lines)"
done)
[ -z "$long" ] || die "past 300 lines: $(echo $long); split it, or say in tools/long-files.txt why one job needs the length"
log "file sizes: none past 300 lines but tools/long-files.txt's $(grep -c '^[^#]' tools/long-files.txt)"

scripts=$(git ls-files '*.sh')
for f in $scripts; do sh -n "$f"; done
log "sh -n: $(echo "$scripts" | wc -l) scripts"
need shellcheck shellcheck
# shellcheck disable=SC2086 # one word per script
shellcheck -S warning -x $scripts
log "shellcheck: clean"
npx tsc --noEmit -p .
log "tsc: clean"
npx ts-node -T tools/format.ts --check
for mod in provider forward tests/upstream/unbuffer; do
	unformatted=$(cd "$mod" && gofmt -l .)
	[ -z "$unformatted" ] || die "gofmt: not formatted: $unformatted (gofmt -w $mod/)"
	(cd "$mod" && GOFLAGS="-mod=mod -buildvcs=false" go vet ./...)
done
log "gofmt, go vet: clean (provider, forward, tests/upstream/unbuffer)"
