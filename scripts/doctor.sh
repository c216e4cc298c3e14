#!/bin/sh
# Host report: can this kernel and engine run nerdctl + containerd + runc in a
# privileged container? Runs on the host (`make doctor`, arg: the storage
# folder) and in the wrapper (`docker exec <wrapper> /scripts/doctor.sh`).
# Features are exercised in throwaway namespaces, not read from a config, so a
# line says what really works here; docs/host-report.md says how the list of
# features was measured. One line per check; exit 1 only when a check FAILs.
# This file prints the lines and runs the checks in order; each part sourced
# below does one job (see its header).
set -eu
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
NDIND_SCRIPTS=$(dirname "$SELF") # /scripts in the wrapper, scripts/ on the host
. "$NDIND_SCRIPTS/common.sh"
. "$NDIND_SCRIPTS/fs.sh"
. "$NDIND_SCRIPTS/doctor-verdict.sh"
. "$NDIND_SCRIPTS/doctor-kernel.sh"
. "$NDIND_SCRIPTS/doctor-features.sh"
. "$NDIND_SCRIPTS/doctor-iptables.sh"
. "$NDIND_SCRIPTS/doctor-modules.sh"
. "$NDIND_SCRIPTS/doctor-platforms.sh"
. "$NDIND_SCRIPTS/doctor-ipv6.sh"
# A new check: scripts/doctor-NAME.sh defining check_NAME, sourced here and
# called in report_host's list below.

STORAGE=${1:-/var/lib/containerd}
case $STORAGE in /*) ;; *) STORAGE=$PWD/$STORAGE ;; esac
n_ok=0
n_warn=0
n_fail=0

# $1 OK|WARN|FAIL, $2 check, $3 detail, $4 fix (printed for WARN and FAIL).
report() {
	printf '%-4s  %-22s  %s\n' "$1" "$2" "$3"
	[ "$1" = OK ] || [ -z "${4:-}" ] || printf '      fix: %s\n' "$4"
	case $1 in
	OK) n_ok=$((n_ok + 1)) ;;
	WARN) n_warn=$((n_warn + 1)) ;;
	*) n_fail=$((n_fail + 1)) ;;
	esac
}

# A container's marker file and an overlay root: the marker alone is not
# enough (some VM images are built from container images and keep it).
in_container() {
	{ [ -f /.dockerenv ] || [ -f /run/.containerenv ]; } && [ "$(fs_type /)" = overlayfs ]
}

report_host() {
	ON_HOST=
	where="on the host"
	if [ -d "$NDIND_RUN" ]; then
		ON_HOST="on the host: "
		where="in the wrapper"
	elif in_container; then
		ON_HOST="on the host: "
		where="in a container"
	fi
	log "$SELF running $where (storage: $STORAGE)"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ndoc.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
	load_kconfig
	can_exercise
	read_docker
	# The checks, in report order.
	check_kernel
	check_cgroup
	check_caps
	check_features
	check_iptables
	check_ipv6
	check_modules
	check_storage
	check_space
	check_platforms
	log "summary: $n_ok OK, $n_warn WARN, $n_fail FAIL"
	[ "$n_fail" = 0 ]
}

case ${1:-} in
__netns_rules) shift; netns_rules "$@" ;;
__netns_links) netns_links "$2" ;;
__netns_ipv6) netns_ipv6 ;;
__mount_overlay) mount_overlay "$2" "$3" ;;
__binfmt_list) binfmt_mounted_list "$2" ;;
*) report_host ;;
esac
