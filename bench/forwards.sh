#!/bin/sh
# Part of `make bench` (bench/run.sh runs it; it also runs alone): the port
# forwarder (forward/) against the other ways in to an inner port. One stack
# publishing a wrapper port through Docker (ports setting); two inner busybox
# httpd, serving a small page (short connections) and a sparse file of
# BENCH_BYTES (1 GiB; httpd sends it with sendfile, so the source costs little):
# one on an inner port the forwarder forwards, one on the port Docker
# publishes. Per path: the median and p99 of BENCH_CONNECTS (1000) short HTTP
# connections one after another, and one GET of the big file (the median of
# BENCH_STREAMS, 3), read by
# forward/netprobe. Paths: the
# forward on the local engine (direct to the wrapper), the forward through
# streams over one docker exec (what remote engines use), Docker's published
# port, and straight to the wrapper's address. Writes a markdown table to $1
# if given; prints it, and the ratios forward / Docker.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
cd "$NDIND_ROOT"

OUT=${1:-/dev/null}
CONNECTS=${BENCH_CONNECTS:-1000}
BYTES=${BENCH_BYTES:-1073741824}
STREAMS=${BENCH_STREAMS:-3}
BASE=${BENCH_FORWARD_PORT:-19200}
STACK=${BENCH_PREFIX:-bench}-fwd-$$
WRAPPER=nerdctl-dind-$STACK
FORWARD="$NDIND_ROOT/forward/out/ndind-forward"
PROBE=$(mktemp -d)/netprobe
FWD_WEB=$((BASE + 1)) DOCKER_WEB=$((BASE + 11))

cleanup() {
	"$FORWARD" stop --stack "$STACK" --root "$NDIND_ROOT" >/dev/null 2>&1 || :
	pulumi destroy --yes --skip-preview --non-interactive --stack "$STACK" >/dev/null 2>&1 || :
	pulumi stack rm --yes --force --non-interactive --stack "$STACK" >/dev/null 2>&1 || :
	docker rmi "nerdctl-dind:$STACK" >/dev/null 2>&1 || :
	rm -rf "$NDIND_ROOT/lib/${STACK:?}" "$(stack_file "$STACK")" "$(dirname "$PROBE")"
}
trap cleanup EXIT

[ -x "$FORWARD" ] || die "no $FORWARD: run make toolchain"
log "bench: forwards: building forward/netprobe"
(cd forward && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -o "$PROBE" ./netprobe)

log "bench: forwards: stack $STACK, Docker publishing 127.0.0.1:$DOCKER_WEB"
pulumi stack init "$STACK" --non-interactive >/dev/null
p="pulumi config set --stack $STACK"
$p baseImage nerdctl-dind/base:bookworm
$p plugins ndind
$p --path 'preload[0]' "$NDIND_CACHE/images/busybox.tar"
$p --path 'ports[0]' "$DOCKER_WEB:8080"
pulumi up --yes --skip-preview --non-interactive --stack "$STACK" >/dev/null

# NAME PORT: an inner httpd published on PORT.
inner() {
	docker exec "$WRAPPER" nerdctl run -d --name "$1" -p "$2:80" busybox:ndind sh -c \
		"mkdir -p /www && echo ok >/www/index.html && truncate -s $BYTES /www/zero && exec httpd -f -p 80 -h /www" >/dev/null
}
inner fwd "$FWD_WEB"
inner dock 8080
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$WRAPPER")

# LABEL ADDR: one table row.
row() {
	i=0
	until "$PROBE" connect "$2" 1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "$1: $2 does not answer"
		sleep 0.1
	done
	log "bench: forwards: $1: $CONNECTS connections to $2, $BYTES bytes from it"
	# The stream BENCH_STREAMS (3) times, the median kept: one run swings with the machine's load.
	n=0
	: >"$PROBE.streams"
	while [ $n -lt "$STREAMS" ]; do
		"$PROBE" read "$2" "$BYTES" >>"$PROBE.streams"
		n=$((n + 1))
	done
	set -- "$1" "$("$PROBE" connect "$2" "$CONNECTS")" "$(sort -n "$PROBE.streams" | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }')"
	echo "| $1 | ${2% *} | ${2#* } | ${3% *} | ${3#* } |" >>"$PROBE.rows"
}

NDIND_FORWARD_TRANSPORT='' "$FORWARD" start --stack "$STACK" --root "$NDIND_ROOT" >/dev/null
row "forward (local engine: direct to the wrapper)" "127.0.0.1:$FWD_WEB"
NDIND_FORWARD_TRANSPORT=stream "$FORWARD" start --stack "$STACK" --root "$NDIND_ROOT" >/dev/null
row "forward through streams over docker exec (remote engines' way)" "127.0.0.1:$FWD_WEB"
row "Docker's published port (ports setting)" "127.0.0.1:$DOCKER_WEB"
row "straight to the wrapper's address" "$ip:8080"

ratio() { awk -F'|' -v a="$1" -v b="$2" -v c="$3" '
	index($2, a) { x = $(c) } index($2, b) { y = $(c) } END { printf "%.2f", x / y }' "$PROBE.rows"; }
{
	echo "Inner ports through the forwarder (forward/) and the other ways in: $CONNECTS short HTTP connections one after" \
		"another (milliseconds each: connect, GET, answer, close) and one stream of $((BYTES >> 20)) MiB (median of $STREAMS); $(nproc) cores," \
		"load average $(cut -d' ' -f1 /proc/loadavg) at the end."
	echo
	echo "| path | connect median (ms) | connect p99 (ms) | stream (s) | MiB/s |"
	echo "|---|---:|---:|---:|---:|"
	cat "$PROBE.rows"
	echo
	echo "forward / Docker's published port: connect median $(ratio "forward (local" "Docker" 3)," \
		"p99 $(ratio "forward (local" "Docker" 4), stream time $(ratio "forward (local" "Docker" 5) (target <= 1.2 each)"
	echo "Lima publishes 4-7 Gbit/s (477-834 MiB/s) for its forwarded ports on localhost, and no latency figure."
} | tee "$OUT"
