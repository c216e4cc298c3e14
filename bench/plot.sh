#!/bin/sh
# bench/results.svg from bench/run.sh's rows (NAME|MIN|MEDIAN|MAX a line):
# one bar a figure, the median, with a line from min to max.
# Usage: plot.sh ROWS >results.svg
set -eu
[ -f "${1:?usage: plot.sh ROWS}" ] || { echo "plot.sh: no rows file $1" >&2 && exit 1; }
awk -F'|' '
	{ name[NR] = $1; lo[NR] = $2; mid[NR] = $3; hi[NR] = $4; if ($4 > top) top = $4 }
	END {
		x0 = 400; w = 380; h = 24
		printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", x0 + w + 60, NR * h + 30
		for (i = 1; i <= NR; i++) {
			y = (i - 1) * h + 10
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", x0 - 8, y + 15, name[i]
			printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"#4a7ab5\"/>\n", x0, y + 3, mid[i] / top * w
			printf "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/>\n", x0 + lo[i] / top * w, x0 + hi[i] / top * w, y + 11, y + 11
			printf "<text x=\"%.1f\" y=\"%d\">%.2f s</text>\n", x0 + hi[i] / top * w + 4, y + 15, mid[i]
		}
		printf "</svg>\n"
	}' "$1"
