#!/bin/sh
# Skipped upstream tests are findings, not silence: prints each top-level test
# the log shows as skipped with the reason it gave (its last message before
# the "--- SKIP" line, as `go test -v` prints it), and fails when one of them
# passed in the reference list: a test that used to prove something and now
# proves nothing.
#   skips.sh LOG REFERENCE [RAN]   REFERENCE: one test name a line (# comments);
#   RAN: tests that passed or failed in another pass of the same run (nerdctl
#   2.x runs each test in one of two passes and skips it in the other)
set -eu
. "$(dirname "$0")/../../toolchain/lib.sh"

LOG=${1:?usage: skips.sh LOG REFERENCE}
REFERENCE=${2:?usage: skips.sh LOG REFERENCE [RAN]}
RAN=${3:-/dev/null}

# "NAME<TAB>REASON" per skipped top-level test; subtests (TestX/sub) are
# their parent's business.
skipped=$(awk '
	/^=== RUN   / { if (index($3, "/") == 0) { name = $3; reason = "" } next }
	/^    [^ ]+\.go:[0-9]+: / && name != "" { msg = substr($0, 5); i = index(msg, ": "); reason = substr(msg, i + 2) " (" substr(msg, 1, i - 1) ")"; next }
	/^--- SKIP: / { printf "%s\t%s\n", $3, (reason == "" ? "no reason given" : reason); name = "" }
' "$LOG" | sort -u -t '	' -k1,1 | while IFS='	' read -r name reason; do
	grep -qx "$name" "$RAN" || printf '%s\t%s\n' "$name" "$reason"
done)

regressions=0
if [ -n "$skipped" ]; then
	echo "skipped, with the reason each gave:"
	printf '%s\n' "$skipped" | while IFS='	' read -r name reason; do echo "  $name: $reason"; done
fi
while IFS='	' read -r name reason; do
	[ -n "$name" ] || continue
	if grep -v '^#' "$REFERENCE" | grep -qx "$name"; then
		warn "$name passed in the reference list ($REFERENCE) and is now skipped: $reason"
		regressions=$((regressions + 1))
	fi
done <<EOF2
$skipped
EOF2
[ "$regressions" = 0 ] || die "$regressions test(s) of the reference list skipped: fix what they need, or take them out of $REFERENCE saying why"
