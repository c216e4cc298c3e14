#!/bin/sh
# `make binfmt [STACK=name]`: lets the wrapper run foreign-architecture images
# (nerdctl run --platform linux/arm64, nerdctl build --platform) by having
# this machine's kernel hand their binaries to Debian's qemu-user-static.
# Installs the package when missing, mounts binfmt_misc when it is not, and
# registers the handlers of scripts/doctor-platforms.sh's BINFMT_WANTED
# (NDIND_BINFMT="aarch64 arm ..." for others Debian ships) with the F flag,
# so the kernel opens each emulator once and it works inside containers.
# Idempotent; ends with the list of what runs.
# The handlers live in the kernel that runs the wrapper, so this refuses when
# the engine is elsewhere: a remote engine or context, Docker Desktop, or any
# engine whose kernel is not this machine's (a VM); their own VM has its own.
# Usage: binfmt.sh [--check] [STACK]: STACK is the stack whose engine to
# check (default: the one DOCKER_HOST, DOCKER_CONTEXT or the current docker
# context points at); --check stops after that check, changing nothing.
set -eu
. "$(dirname "$0")/lib.sh"
. "$NDIND_ROOT/scripts/doctor-platforms.sh"

BINFMT=/proc/sys/fs/binfmt_misc
CONF_DIR=/usr/lib/binfmt.d
CHECK_ONLY=
[ "${1:-}" != --check ] || { CHECK_ONLY=1; shift; }
STACK=${1:-}

refuse() { die "make binfmt: $1; nothing here can register handlers for it"; }
has_f() { case $1 in *F*) return 0 ;; esac; return 1; }

[ "$(uname -s)" = Linux ] ||
	refuse "this machine runs $(uname -s), so its Docker engine runs in a Linux VM (Docker Desktop, Lima, Colima, OrbStack) whose kernel has its own handlers (Docker Desktop registers them itself)"

# The engine: the stack's setting when a stack is named, else the environment's.
host=${DOCKER_HOST:-}
context=${DOCKER_CONTEXT:-}
engine="the local Docker engine"
[ -z "$host" ] || engine="DOCKER_HOST"
[ -z "$context" ] || engine="DOCKER_CONTEXT $context"
file=
[ -z "$STACK" ] || file=$(stack_file "$STACK")
if [ -n "$file" ] && [ -f "$file" ]; then
	setting() { sed -n "s/^  nerdctl-dind:$1: *//p" "$file" | tr -d "\"'"; }
	host=$(setting dockerHost)
	context=$(setting dockerContext)
	engine="stack $STACK's engine (the local one)"
	[ -z "$host" ] || engine="stack $STACK's dockerHost"
	[ -z "$context" ] || engine="stack $STACK's dockerContext $context"
elif [ -z "$host" ] && [ -z "$context" ]; then
	context=$(docker context show 2>/dev/null || echo default)
	[ "$context" != default ] || context=
	[ -z "$context" ] || engine="the current docker context $context"
fi
if [ -n "$context" ]; then
	host=$(docker context inspect -f '{{.Endpoints.docker.Host}}' "$context" 2>/dev/null) ||
		die "make binfmt: no Docker context $context (docker context ls lists them)"
fi
case $host in
'' | unix://*) ;;
*) refuse "$engine is $host, not this machine: the wrapper runs on that host's kernel; run make binfmt on that host if it is a Linux machine of yours" ;;
esac

# A unix socket can still lead into a VM: its kernel is not this one.
if info=$(env -u DOCKER_CONTEXT -u DOCKER_HOST ${host:+DOCKER_HOST=$host} docker info --format '{{.OperatingSystem}}|{{.KernelVersion}}' 2>/dev/null); then
	case ${info%%|*} in
	*"Docker Desktop"*) refuse "$engine is Docker Desktop, whose VM registers its own qemu handlers" ;;
	esac
	[ "${info#*|}" = "$(uname -r)" ] ||
		refuse "$engine runs kernel ${info#*|}, this machine $(uname -r): it is in a VM (Lima, Colima, OrbStack, Rancher Desktop, …) whose kernel has its own handlers; register them inside that VM"
	log "make binfmt: $engine runs on this machine's kernel ($(uname -r))"
else
	log "make binfmt: no engine answers at ${host:-the default socket}; registering for this machine's kernel ($(uname -r)), which a local engine uses"
fi
[ -z "$CHECK_ONLY" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || die "make binfmt: registering handlers needs root (sudo is not installed)"
	log "make binfmt: not root; going on under sudo"
	exec sudo -E sh "$0" "$@"
fi

if [ ! -f "$CONF_DIR/qemu-aarch64.conf" ] && [ ! -f "$CONF_DIR/qemu-aarch64-static.conf" ]; then
	command -v apt-get >/dev/null ||
		die "make binfmt: no $CONF_DIR/qemu-aarch64.conf and no apt-get: install your distribution's qemu-user-static (the static emulators and their binfmt.d files), then run make binfmt again"
	log "installing qemu-user-static from Debian (the emulators and their $CONF_DIR lines)"
	apt_get update -qq
	apt_get install -y -qq --no-install-recommends qemu-user-static >/dev/null
fi

if [ ! -f "$BINFMT/register" ]; then
	log "mounting binfmt_misc on $BINFMT (no systemd or init did)"
	mount -t binfmt_misc binfmt_misc "$BINFMT" ||
		die "make binfmt: binfmt_misc cannot be mounted: load it (modprobe binfmt_misc) or build the kernel with CONFIG_BINFMT_MISC"
fi
if [ "$(cat "$BINFMT/status")" != enabled ]; then
	log "enabling binfmt_misc (it was disabled)"
	echo 1 >"$BINFMT/status"
fi

native=$(native_platform)
if [ -n "${NDIND_BINFMT:-}" ]; then
	wanted=$NDIND_BINFMT
else
	wanted=$(for w in $BINFMT_WANTED; do [ "${w#*:}" = "$native" ] || echo "${w%%:*}"; done)
fi
registered=0
kept=0
for arch in $wanted; do
	conf=$CONF_DIR/qemu-$arch.conf
	[ -f "$conf" ] || conf=$CONF_DIR/qemu-$arch-static.conf
	[ -f "$conf" ] || die "make binfmt: qemu-user-static has no $CONF_DIR/qemu-$arch.conf (ls $CONF_DIR lists what it ships)"
	# The line is :NAME:TYPE:OFFSET:MAGIC:MASK:INTERPRETER:FLAGS; F is added
	# when the file lacks it.
	line=$(grep -v '^[[:space:]]*#' "$conf" | grep -m 1 '^:')
	name=$(printf '%s\n' "$line" | cut -d: -f2)
	has_f "${line##*:}" || line="${line}F"
	entry=$(binfmt_handlers "$BINFMT" | awk -v n="$name" '$1 == n')
	if [ -n "$entry" ]; then
		# shellcheck disable=SC2086 # NAME PLATFORM STATE FLAGS INTERPRETER
		set -- $entry
		if [ "$3" = enabled ] && has_f "$4"; then
			log "binfmt $name: registered already (flags $4, $5), kept"
			kept=$((kept + 1))
			continue
		fi
		log "binfmt $name: registered as $3 with flags $4, which containers cannot use; removing it to register it again"
		echo -1 >"$BINFMT/$name"
	fi
	log "binfmt $name: registering $conf's line with flags ${line##*:}"
	printf '%s' "$line" >"$BINFMT/register" ||
		die "make binfmt: the kernel refused $conf's line for $name"
	registered=$((registered + 1))
done

log "binfmt summary: registered=$registered kept=$kept"
{ echo "status $(cat "$BINFMT/status")"; binfmt_handlers "$BINFMT"; } | awk '
	$1 == "status" { next }
	{ printf "%s  %-14s %-13s flags %-4s %s\n", ($3 == "enabled" && $4 ~ /F/ ? "runs" : "not "), $2, $1, $4, $5 }'
log "the wrapper can run: $native (native)$(binfmt_handlers "$BINFMT" |
	awk '$2 != "-" && $3 == "enabled" && $4 ~ /F/ { printf ", %s", $2 }')"
