#!/bin/sh
# OCI runtime that dockerd calls instead of runc on hosts whose capability
# bounding set lacks capabilities (here CAP_SYS_RESOURCE). Docker 20.10 asks
# runc for every capability on --privileged and exec, and runc then fails with
# "unable to apply caps: operation not permitted"; newer engines build the set
# from the current one (moby PR 42933). We drop only what the host cannot grant.
# Silent on purpose: runc's callers parse its output.
set -eu

allowed_caps() {
	capsh --decode="$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)" |
		sed 's/.*=//' | tr 'a-z' 'A-Z' | jq -R 'split(",")'
}

# $1: OCI JSON file, $2: jq path of the process object in it.
filter_caps() {
	[ -f "$1" ] || return 0
	jq --argjson ok "$(allowed_caps)" \
		"if $2.capabilities then $2.capabilities |= with_entries(.value |= map(select(. as \$c | \$ok | index(\$c)))) else . end" \
		"$1" >"$1.capfilter"
	mv "$1.capfilter" "$1"
}

prev=
for arg in "$@"; do
	case $prev in
	--bundle | -b) filter_caps "$arg/config.json" .process ;;
	--process | -p) filter_caps "$arg" "" ;;
	esac
	prev=$arg
done
exec runc "$@"
