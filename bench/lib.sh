# shellcheck shell=sh
# Sourced by bench/run.sh and bench/loop.sh: timing and the figures' rows.
# A row is "NAME|min|median|max", seconds, appended to the file $ROWS.

now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.3f\n", $1 - $2 }'; }

# NAME <SAMPLES: one row from the samples (seconds, one a line) appended to $ROWS.
add_row() {
	sort -n | awk -v name="$1" '
		{ v[NR] = $1 }
		END { printf "%s|%.2f|%.2f|%.2f\n", name, v[1], v[int((NR + 1) / 2)], v[NR] }' >>"$ROWS"
}

# NAME: the median of NAME's last row.
median() { awk -F'|' -v n="$1" '$1 == n { print $3 }' "$ROWS" | tail -n 1; }

# NAME SETUP COMMAND: runs SETUP (untimed) then times COMMAND, $RUNS times;
# appends "NAME min median max" to ROWS and echoes the median.
measure() {
	name=$1 setup=$2 cmd=$3
	: >"$ROWS.samples"
	i=0
	while [ $i -lt "$RUNS" ]; do
		sh -c "$setup" >/dev/null 2>&1
		t0=$(now)
		sh -c "$cmd" >/dev/null 2>&1 || die "$name: '$cmd' failed"
		since "$t0" >>"$ROWS.samples"
		i=$((i + 1))
	done
	add_row "$name" <"$ROWS.samples"
	median "$name"
}
