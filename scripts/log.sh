# shellcheck shell=sh
# How every script speaks and waits, on both sides: sourced by the wrapper's
# library (scripts/common.sh) and by the host's (toolchain/lib.sh), since
# scripts/ is the one folder the wrapper image and the checkout both have.

log() { printf '%s. >>> %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*"; }
warn() { log "WARNING: $*" >&2; }
die() { log "ERROR: $*" >&2; exit 1; }

# SECONDS CMD...: runs CMD every 50 ms until it succeeds; status 1 once
# SECONDS have passed without. Readiness is probed, never slept for.
wait_until() {
	wait_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$wait_end" ] || return 1
		sleep 0.05
	done
}
