#!/bin/sh
# The daily loop at its floor: no-change `make preview` and `make up` of a
# stack that is up, against `pulumi preview` of an empty TypeScript program
# on the same CLI and settings. The figures are measured alternated, one
# sample of each per round, so that whatever else loads the machine hits
# every figure alike; then one traced preview and one traced up give the
# breakdown: where the time goes, phase by phase, and how many docker and go
# processes each verb starts.
# usage: loop.sh STACK ROWS BREAKDOWN
#   STACK      a stack of this checkout that is up (run.sh's, or yours)
#   ROWS       appended: "figure|min|median|max" lines, seconds
#   BREAKDOWN  written: the breakdown, as Markdown
# BENCH_RUNS rounds (default 5). Run by bench/run.sh (make bench); alone:
#   eval "$(make env)"; sh bench/loop.sh dev /dev/stdout /dev/stdout
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../toolchain/lib.sh"
. "$here/lib.sh"
cd "$NDIND_ROOT"

STACK=${1:?usage: loop.sh STACK ROWS BREAKDOWN}
ROWS=${2:?usage: loop.sh STACK ROWS BREAKDOWN}
BREAKDOWN=${3:?usage: loop.sh STACK ROWS BREAKDOWN}
RUNS=${BENCH_RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT


# The empty program: one stack, up once, in a folder of its own.
empty=$work/empty
mkdir -p "$empty/state"
printf 'name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n' >"$empty/Pulumi.yaml"
echo 'export const empty = true;' >"$empty/index.ts"
echo '{"name": "empty", "main": "index.ts"}' >"$empty/package.json"
ln -s "$NDIND_ROOT/node_modules" "$empty/node_modules"
EMPTY="cd $empty && PULUMI_BACKEND_URL=file://$empty/state pulumi --non-interactive"
sh -c "$EMPTY stack init empty && $EMPTY --stack empty up --yes --skip-preview" >/dev/null

MAKE_STACK="make's own steps: make stack (toolchain + stack), nothing to do"
MAKE_TOOLCHAIN="make's own steps: make toolchain alone, nothing to do"
# The figures, in the order each round runs them: NAME|COMMAND.
cat >"$work/figures" <<EOF
empty program: pulumi preview|$EMPTY --stack empty preview
make preview, no change|make preview STACK=$STACK
make up, no change|make up STACK=$STACK
$MAKE_STACK|make stack STACK=$STACK
$MAKE_TOOLCHAIN|make toolchain
pulumi preview, no change (no make)|pulumi --non-interactive --stack $STACK preview --diff
EOF

# A no-change up must say so: one that changed something (a concurrent edit
# of scripts/) is not the figure asked for, and fails the bench.
make up STACK="$STACK" >/dev/null
i=0
while [ $i -lt "$RUNS" ]; do
	n=0
	while IFS='|' read -r name cmd; do
		n=$((n + 1))
		t0=$(now)
		sh -c "$cmd" >"$work/out" 2>&1 </dev/null || { cat "$work/out" >&2; die "loop: '$cmd' failed"; }
		since "$t0" >>"$work/samples.$n"
		case $name in
		*", no change"*)
			if ! grep -Eq '^ +[0-9]+ unchanged$' "$work/out" || grep -Eq '^ +[0-9]+ (to )?(create|update|replace|delete)' "$work/out"; then
				cat "$work/out" >&2
				die "loop: '$cmd' was not a no-change run (above)"
			fi
			;;
		esac
	done <"$work/figures"
	i=$((i + 1))
done
n=0
while IFS='|' read -r name cmd; do
	n=$((n + 1))
	add_row "$name" <"$work/samples.$n"
done <"$work/figures"

# Processes: docker and go shims in front of the PATH log every call.
mkdir "$work/shims"
for tool in docker go; do
	real=$(command -v "$tool") || die "loop: no $tool on the PATH"
	# shellcheck disable=SC2016 # $0 and $* are the shim's own, at its run
	printf '#!/bin/sh\necho "$0 $*" >>%s/calls\nexec %s "$@"\n' "$work" "$real" >"$work/shims/$tool"
	chmod +x "$work/shims/$tool"
done
# VERB: "N docker (what), M go" for one make VERB.
calls() {
	: >"$work/calls"
	PATH=$work/shims:$PATH make "$1" STACK="$STACK" >/dev/null 2>&1
	awk -v dir="$work/shims/" '
		{ sub(dir, ""); n[$1]++; if ($1 == "docker") what[$2 ($3 == "" ? "" : " " $3)]++ }
		END {
			s = ""
			for (w in what) s = s (s ? ", " : "") what[w] " " w
			printf "%d docker (%s), %d go", n["docker"], s, n["go"]
		}' "$work/calls"
}
toolchain_calls=$(calls toolchain)
preview_calls=$(calls preview)
up_calls=$(calls up)

# The breakdown of one verb, from the engine's own log (-v=9, JSON lines with
# times): the CLI's start, the language host's start and @pulumi/pulumi's
# load (up to the stack resource), the program (its modules and body, up to
# its last resource), the plugin's start, the provider calls (sum of each
# resource's Check and Diff, their longest), the rest until the program's end,
# and the CLI's end. VERB...: pulumi arguments.
trace() {
	t0=$(now)
	pulumi --non-interactive --stack "$STACK" "$@" -v=9 --logtostderr --logflow 2>"$work/trace" >/dev/null
	t1=$(now)
	npx ts-node -T bench/phases.ts "$work/trace" "$t0" "$t1"
}
make stack STACK="$STACK" >/dev/null
{
	echo "Where a no-change run of stack $STACK goes, seconds (one traced run each; the medians above are untraced):"
	echo
	echo "| phase | pulumi preview | pulumi up |"
	echo "|---|---:|---:|"
	trace preview --diff >"$work/p"
	trace up --yes --skip-preview >"$work/u"
	# One table: the preview's column, then the up's.
	awk -F'|' 'NR == FNR { up[FNR] = $3; next } { printf "|%s|%s|%s |\n", $2, $3, up[FNR] }' "$work/u" "$work/p"
	echo
	echo "Before the pulumi command, make's own steps (medians above): make stack $(median "$MAKE_STACK") s, of which make toolchain $(median "$MAKE_TOOLCHAIN") s."
	echo
	echo "Processes started (PATH shims): make toolchain: $toolchain_calls; make preview: $preview_calls; make up: $up_calls."
} >"$BREAKDOWN"
