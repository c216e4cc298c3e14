#!/bin/sh
# `make bench`: the edit-up-test loop, measured. Each figure is repeated
# BENCH_RUNS times (default 5) and printed as min / median / max seconds;
# ratios compare figures measured in this same run. Writes bench/results.md.
# The stack's own cycle (first up, previews, ups, up + destroy) is measured on
# each implementation of the seam (the stack setting plugins), the pulumi one
# only where its plugins are installed in $PULUMI_HOME; the rest on ndind.
# The daily loop at its floor (bench/loop.sh): no-change make preview and
# make up against an empty program's preview, alternated, and where their
# time goes. BENCH_NOTE, if set, is written under the heading (how and beside
# what it ran); BENCH_PREFIX (default bench) begins every stack's name.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
. "$here/lib.sh"
cd "$NDIND_ROOT"

RUNS=${BENCH_RUNS:-5}
PREFIX=${BENCH_PREFIX:-bench}
STACK=$PREFIX-$$
# The pulumi implementation's stack, gone before the figures of ndind alone.
PSTACK=$PREFIX-pulumi-$$
PLAIN=$PREFIX-plain-$$
WRAPPER=nerdctl-dind-$STACK
STORAGE=$NDIND_ROOT/lib/$STACK
RESULTS=$here/results.md
PLOT=$here/results.svg
PULUMI="pulumi --non-interactive --stack $STACK"
PPULUMI="pulumi --non-interactive --stack $PSTACK"
ROWS=$(mktemp)
# The same stack on a second Docker host over ssh (tests/remote/host.sh);
# its port is in this project's test range.
REMOTE=ndind-$PREFIX-remote-$$
REMOTE_PORT=${BENCH_REMOTE_PORT:-16023}
REMOTE_DIR=$(mktemp -d)
RSTACK=$PREFIX-remote-$$
RPULUMI="env PATH=$REMOTE_DIR/bin:$PATH pulumi --non-interactive --stack $RSTACK"
RDOCKER="env PATH=$REMOTE_DIR/bin:$PATH DOCKER_HOST=ssh://root@127.0.0.1:$REMOTE_PORT docker"

# Probes, polled with no sleeps, given up after a minute.
poll() { echo "timeout 60 sh -c 'until docker exec $WRAPPER $1 >/dev/null 2>&1; do :; done'"; }
SERVING=$(poll "ctr version")
FIRST_RUN=$(poll "nerdctl run --rm busybox:ndind true")

MAIN=nerdctl/src/cmd/nerdctl/main.go
made_src=
cleanup() {
	# The bench's edits leave nerdctl/src as it found it (or not there).
	[ ! -f "$ROWS.main" ] || cp "$ROWS.main" "$MAIN"
	[ -z "$made_src" ] || rm -rf nerdctl/src
	$PULUMI destroy --yes --skip-preview >/dev/null 2>&1 || :
	pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || :
	$PPULUMI destroy --yes --skip-preview >/dev/null 2>&1 || :
	pulumi stack rm --yes --force --stack "$PSTACK" >/dev/null 2>&1 || :
	sh bench/plain-up.sh --down "$PLAIN" 2>/dev/null || :
	$RPULUMI destroy --yes --skip-preview >/dev/null 2>&1 || :
	pulumi stack rm --yes --force --stack "$RSTACK" >/dev/null 2>&1 || :
	sh tests/remote/host.sh down "$REMOTE" >/dev/null 2>&1 || :
	rm -rf "$REMOTE_DIR" "$(stack_file "$RSTACK")"
	docker rmi "nerdctl-dind:$STACK" "nerdctl-dind:$PSTACK" "nerdctl-dind:$PLAIN" >/dev/null 2>&1 || :
	rm -rf "$STORAGE" "$NDIND_ROOT/lib/${PSTACK:?}" "$NDIND_ROOT/lib/${PLAIN:?}" "$(stack_file "$STACK")" "$(stack_file "$PSTACK")" "$ROWS" "$ROWS.samples" "$ROWS.main" "$ROWS.mark" "$ROWS.bin" "$ROWS.edit" "$ROWS.breakdown" "$ROWS.trace" "$ROWS.editphases" "$ROWS.layouts" "$ROWS.storage" "$ROWS.forwards"
}
trap cleanup EXIT

# The plugins the pulumi implementation runs on, at package.json's pins.
real=$(real_plugins)
pins=$(plugins_words "$real")
with_pulumi=
if plugins_installed "$real"; then
	with_pulumi=1
	log "bench: resource plugins $pins found: measuring ndind and pulumi"
else
	log "bench: resource plugins $pins not both in ${PULUMI_HOME:-~/.pulumi}: the pulumi column says so"
fi
# What else loads this machine (other stacks, tests): noted, not prevented.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
ps_start=$(docker ps -q | wc -l)

log "bench: $RUNS runs per figure, stacks $STACK (ndind)${with_pulumi:+ and $PSTACK (pulumi)}"
# KIND STACK: a new stack of this project on that implementation.
new_stack() {
	pulumi stack init "$2" >/dev/null
	pulumi config set --stack "$2" baseImage nerdctl-dind/base:bookworm
	pulumi config set --stack "$2" plugins "$1"
	pulumi config set --stack "$2" --type string --path 'preload[0]' "$NDIND_CACHE/images/busybox.tar"
}
# Each first up below builds its image with none of the bench's other images
# to take layers from: destroy keeps a stack's image, so the one measured
# first would pay for the build and the others not. (Images of other stacks
# on this engine may still share layers: ndind then tags such an image of the
# same content instead of building, as the plain script's build takes its
# layers from docker's cache. Both columns get the same head start.)
UNCACHE="docker rmi nerdctl-dind:$STACK nerdctl-dind:$PSTACK nerdctl-dind:$PLAIN"
# KIND STACK: the figures compared across implementations, named "KIND: figure".
cycle_figures() {
	p="pulumi --non-interactive --stack $2"
	log "bench: the stack's cycle on $1 ($2)"
	measure "$1: first up of a stack (new image tag, empty storage)" \
		"$p destroy --yes --skip-preview; $UNCACHE; rm -rf $NDIND_ROOT/lib/$2" "$p up --yes --skip-preview" >/dev/null
	measure "$1: preview, no change" ":" "$p preview" >/dev/null
	measure "$1: up, no change" ":" "$p up --yes --skip-preview" >/dev/null
	measure "$1: cycle: up + destroy (image cached)" ":" "$p up --yes --skip-preview && $p destroy --yes --skip-preview" >/dev/null
}
new_stack ndind "$STACK"
cycle_figures ndind "$STACK"
if [ -n "$with_pulumi" ]; then
	new_stack pulumi "$PSTACK"
	cycle_figures pulumi "$PSTACK"
	log "bench: removing $PSTACK; the rest runs on ndind"
	$PPULUMI destroy --yes --skip-preview >/dev/null
	pulumi stack rm --yes --stack "$PSTACK" >/dev/null
	docker rmi "nerdctl-dind:$PSTACK" >/dev/null 2>&1 || :
	rm -rf "$NDIND_ROOT/lib/${PSTACK:?}" "$(stack_file "$PSTACK")"
fi
# The baseline beside them: the same first up and cycle by the plain script.
log "bench: the plain docker script ($PLAIN)"
measure "plain docker script: first up (new image tag, empty storage)" \
	"sh bench/plain-up.sh --down $PLAIN; $UNCACHE; rm -rf $NDIND_ROOT/lib/$PLAIN" \
	"sh bench/plain-up.sh $PLAIN $NDIND_ROOT/lib/$PLAIN" >/dev/null
sh bench/plain-up.sh --down "$PLAIN"
plain_cycle=$(measure "plain docker script cycle: up + down (image cached)" ":" \
	"sh bench/plain-up.sh $PLAIN $NDIND_ROOT/lib/$PLAIN && sh bench/plain-up.sh --down $PLAIN")
preview=$(median "ndind: preview, no change")
warm=$(median "ndind: up, no change")
pulumi_cycle=$(median "ndind: cycle: up + destroy (image cached)")

log "bench: the figures of ndind alone ($STACK)"
$PULUMI up --yes --skip-preview >/dev/null
log "bench: the daily loop at its floor, alternated with an empty program's preview (bench/loop.sh)"
sh "$here/loop.sh" "$STACK" "$ROWS" "$ROWS.breakdown"
empty=$(median "empty program: pulumi preview")
measure "destroy + up, image cache warm" ":" "$PULUMI destroy --yes --skip-preview && $PULUMI up --yes --skip-preview" >/dev/null
start=$(measure "wrapper start -> containerd serving" "docker stop $WRAPPER" "docker start $WRAPPER && $SERVING")
measure "wrapper start -> first nerdctl run --rm true" "docker stop $WRAPPER" "docker start $WRAPPER && $FIRST_RUN" >/dev/null
measure "image build from scratch (docker build --no-cache)" ":" \
	"DOCKER_BUILDKIT=0 docker build -q --no-cache -f dockerfile -t nerdctl-dind:$PLAIN --build-arg BASE_IMAGE=nerdctl-dind/base:bookworm --build-arg BUNDLE=$(sh nerdctl/build.sh --dir-key) ." >/dev/null
floor=$(measure "Pulumi floor: up + destroy of an empty program" ":" "sh $here/empty-cycle.sh")
# One run each (a 60 MiB pull on each side), appended to the table.
sh "$here/registry-pull.sh" "$ROWS"
stack_pull=$(awk -F'|' '/^nerdctl pull of a/ { print $3 }' "$ROWS")
host_pull=$(awk -F'|' '/^docker pull of it/ { print $3 }' "$ROWS")
# What the image layout of shared folders costs, against the folder layout.
sh "$here/storage-layouts.sh" "$ROWS.layouts" >"$ROWS.storage"
# Inner ports: the forwarder against Docker's published port and the wrapper's address.
sh "$here/forwards.sh" "$ROWS.forwards" >/dev/null

# Against the second host: every docker call goes over ssh.
measure "remote: second host start (docker run -> docker info over ssh)" "sh tests/remote/host.sh down $REMOTE" \
	"sh tests/remote/host.sh up $REMOTE $REMOTE_PORT $REMOTE_DIR" >/dev/null
pulumi stack init "$RSTACK" >/dev/null
$RPULUMI config set baseImage nerdctl-dind/base:bookworm
$RPULUMI config set plugins ndind
$RPULUMI config set dockerHost "ssh://root@127.0.0.1:$REMOTE_PORT"
$RPULUMI config set --type string --path 'preload[0]' "$NDIND_CACHE/images/busybox.tar"
rfresh="$RPULUMI destroy --yes --skip-preview; $RDOCKER rmi nerdctl-dind:$RSTACK; docker exec $REMOTE rm -rf /var/lib/nerdctl-dind/$RSTACK"
measure "remote: first up of a stack (base image already there)" "$rfresh" "$RPULUMI up --yes --skip-preview" >/dev/null
rwarm=$(measure "remote: up, no change" ":" "$RPULUMI up --yes --skip-preview")
rdestroy=$(measure "remote: destroy" "$RPULUMI up --yes --skip-preview" "$RPULUMI destroy --yes --skip-preview")
ldestroy=$(measure "destroy" "$PULUMI up --yes --skip-preview" "$PULUMI destroy --yes --skip-preview")

# Bytes the second up writes into the storage folder: nothing is re-imported.
$PULUMI up --yes --skip-preview >/dev/null
$PULUMI destroy --yes --skip-preview >/dev/null
marker=$(mktemp)
before=$(du -sb "$STORAGE" | cut -f1)
$PULUMI up --yes --skip-preview >/dev/null
after=$(du -sb "$STORAGE" | cut -f1)
written=$(find "$STORAGE" -type f -newer "$marker" -exec du -cb {} + | awk 'END { print $1 + 0 }')
rm -f "$marker"
size=$(docker image inspect -f '{{.Size}}' "nerdctl-dind:$STACK")

# The edit loop of nerdctl/src: a one-line change (untimed), then make up,
# as the README has it (its nerdctl build starts beside Pulumi's), until the
# edited nerdctl answers in the wrapper; an inner container started before
# must still run after. The floor: the Go build of the same change.
log "bench: the nerdctl/src edit loop"
[ -d nerdctl/src/.git ] || { made_src=1 && sh nerdctl/checkout-src.sh >/dev/null 2>&1; }
cp "$MAIN" "$ROWS.main"
cat >"$ROWS.edit" <<'EOF'
mark=$(date +%s%N)
echo "$mark" >"$1.mark"
sed -i "s/^\([[:space:]]*short := \"nerdctl is a command line interface for containerd\).*\"\$/\1 (edit $mark)\"/" "$2"
grep -q "(edit $mark)" "$2"
EOF
EDIT="sh $ROWS.edit $ROWS $MAIN"
make up STACK="$STACK" >/dev/null
docker exec "$WRAPPER" nerdctl run -d --name bench-keep busybox:ndind sleep 3600 >/dev/null
keep_id=$(docker exec "$WRAPPER" nerdctl inspect -f '{{.ID}}' bench-keep)
loop=$(measure "edit loop: one-line change in nerdctl/src -> make up -> edited nerdctl answers" "$EDIT" \
	"make up STACK=$STACK && docker exec $WRAPPER nerdctl --help | grep -q \"(edit \$(cat $ROWS.mark))\"")
# One traced edit loop, for where it goes: make's own steps are in its
# first row; the bundle step's Create is its wait for the early build.
sh -c "$EDIT"
t0=$(now)
make up STACK="$STACK" PULUMI="$PULUMI -v=9 --logtostderr --logflow" >/dev/null 2>"$ROWS.trace"
t1=$(now)
npx ts-node -T bench/phases.ts "$ROWS.trace" "$t0" "$t1" >"$ROWS.editphases"
kept=no
[ "$(docker exec "$WRAPPER" nerdctl inspect -f '{{.ID}} {{.State.Running}}' bench-keep 2>/dev/null)" != "$keep_id true" ] || kept=yes
gobuild="cd nerdctl/src && CGO_ENABLED=0 GOFLAGS='-mod=mod -trimpath -buildvcs=false' go build -ldflags '-s -w' -o $ROWS.bin ./cmd/nerdctl"
gofloor=$(measure "Go build floor: go build ./cmd/nerdctl after the same change" "$EDIT" "$gobuild")
# build.sh links nerdctl with Go's collector off; the same for the floor,
# so the ratio against it shows what the loop adds to the build it runs.
gcfloor=$(measure "Go build floor as build.sh runs it (GOGC=off)" "$EDIT" "export GOGC=off && $gobuild")
cp "$ROWS.main" "$MAIN"

ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
# NAME NONE: a figure as "median (min-max)", or NONE where it was not measured.
cell() {
	awk -F'|' -v n="$1" -v none="$2" '$1 == n { c = $3 " (" $2 "-" $4 ")" } END { print c == "" ? none : c }' "$ROWS"
}
# FIGURE [PLAIN_FIGURE]: a row of the table across implementations.
compare() {
	r=-
	[ -z "$with_pulumi" ] || r=$(ratio "$(median "ndind: $1")" "$(median "pulumi: $1")")
	plain="no such step"
	[ -z "${2:-}" ] || plain=$(cell "$2" -)
	echo "| $1 | $(cell "ndind: $1" -) | $(cell "pulumi: $1" "not installed here") | $r | $plain |"
}
pulumi_plain="not installed here"
[ -z "$with_pulumi" ] || pulumi_plain=$(ratio "$(median "pulumi: cycle: up + destroy (image cached)")" "$plain_cycle")
{
	echo "# Benchmarks"
	echo
	echo "Measured by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r),"
	echo "Docker $(docker version -f '{{.Server.Version}}'), Pulumi $(pulumi version); $RUNS runs per figure, seconds."
	echo "PULUMI_HOME ${PULUMI_HOME:-~/.pulumi}: resource plugins $pins" \
		"$([ -n "$with_pulumi" ] && echo installed || echo "not both installed"), ndind $(cat provider/VERSION) installed."
	echo "Beside this run: load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
		"$ps_start containers running on the engine at the start, $(docker ps -q | wc -l) at the end (others' included)."
	[ -z "${BENCH_NOTE:-}" ] || { echo; echo "$BENCH_NOTE"; }
	echo
	echo "![medians, with min-max lines](results.svg)"
	echo
	echo "The stack's cycle on each implementation of the seam (stack setting \`plugins\`), median (min-max):"
	echo
	echo "| figure | ndind | pulumi | ndind / pulumi | plain docker script |"
	echo "|---|---:|---:|---:|---:|"
	compare "first up of a stack (new image tag, empty storage)" "plain docker script: first up (new image tag, empty storage)"
	compare "preview, no change"
	compare "up, no change"
	compare "cycle: up + destroy (image cached)" "plain docker script cycle: up + down (image cached)"
	echo
	echo "The other figures, the stacks' on ndind:"
	echo
	echo "| figure | min | median | max |"
	echo "|---|---:|---:|---:|"
	awk -F'|' '$1 !~ /^(ndind|pulumi): / { printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$ROWS"
	echo
	echo "| ratio or size | value | target |"
	echo "|---|---:|---|"
	echo "| no-change make preview / empty program's preview | $(ratio "$(median "make preview, no change")" "$empty") | <= 1.5 |"
	echo "| no-change make up / empty program's preview | $(ratio "$(median "make up, no change")" "$empty") | <= 1.5 |"
	echo "| no-change pulumi preview (no make) / empty program's preview | $(ratio "$(median "pulumi preview, no change (no make)")" "$empty") | |"
	echo "| warm no-change up / no-change preview (ndind) | $(ratio "$warm" "$preview") | < 2 |"
	echo "| wrapper start -> containerd serving (median, s) | $start | < 2 |"
	echo "| Pulumi cycle (ndind) / plain script cycle | $(ratio "$pulumi_cycle" "$plain_cycle") | <= 1.5 |"
	echo "| Pulumi cycle (pulumi) / plain script cycle | $pulumi_plain | |"
	echo "| Pulumi floor (empty program) / plain script cycle | $(ratio "$floor" "$plain_cycle") | |"
	echo "| remote / local: up, no change | $(ratio "$rwarm" "$warm") | |"
	echo "| remote / local: destroy | $(ratio "$rdestroy" "$ldestroy") | |"
	echo "| edit loop (median, s) / its Go build floor (median, s) | $loop / $gofloor = $(ratio "$loop" "$gofloor") | <= 2 |"
	echo "| edit loop (median, s) / the floor with GOGC=off, as build.sh builds (median, s) | $loop / $gcfloor = $(ratio "$loop" "$gcfloor") | |"
	echo "| inner container kept running through the edit loop | $kept | yes |"
	echo "| registry pull into a stack / docker pull on the host (one run each) | $(ratio "$stack_pull" "$host_pull") | |"
	echo "| wrapper image size (MB) | $(echo "$size" | awk '{ printf "%.0f", $1 / 1e6 }') | |"
	echo "| storage bytes changed by a second up (du delta) | $((after - before)) | ~0 |"
	echo "| bytes of files rewritten in storage by a second up | $written | ~0 (containerd's metadata db) |"
	echo
	echo "Storage layouts (bench/storage-layouts.sh; docs/storage.md), median (min-max):"
	echo
	cat "$ROWS.storage"
	echo
	cat "$ROWS.forwards"
	echo
	cat "$ROWS.breakdown"
	echo
	echo "Where one edit loop goes (one traced make up after a one-line change, seconds): make's own steps are in the first row; the Go build runs beside the rows before the bundle step, whose Create is its wait for that build (nerdctl/early-build.sh)."
	echo
	echo "| phase | make up after an edit |"
	echo "|---|---:|"
	cat "$ROWS.editphases"
} >"$RESULTS"
sh "$here/plot.sh" "$ROWS" >"$PLOT"
cat "$RESULTS"
