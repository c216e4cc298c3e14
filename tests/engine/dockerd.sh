#!/bin/sh
# A second Docker engine on this machine, of a test's own, which the test may
# stop and start as an engine upgrade or a host reboot would: the shared
# engine, which other work runs on, is never touched. Everything of it is its
# own: socket, data root, exec root (its containerd), pid file, bridge,
# cgroup parent. It leaves the host's iptables and sysctls alone
# (--iptables=false, --ip-forward=false, --ip-masq=false): the shared
# engine's rules stay as they are, and its wrappers are reached on the
# bridge's addresses, which are this machine's.
#
#   sh tests/engine/dockerd.sh start DIR BRIDGE CIDR   start it (again); unix://DIR/docker.sock answers
#   sh tests/engine/dockerd.sh stop DIR                SIGTERM, as systemd stops it; waits for its end
#   sh tests/engine/dockerd.sh down DIR BRIDGE         its containers removed, stopped, bridge and DIR gone
#
# BRIDGE: at most 15 characters; CIDR: the bridge's address, e.g.
# 10.213.7.1/24, refused when this machine already routes that network.
set -eu
. "$(dirname "$0")/../../toolchain/lib.sh"

usage="usage: dockerd.sh start DIR BRIDGE CIDR | stop DIR | down DIR BRIDGE"
what=${1:?$usage}
DIR=${2:?$usage}
SOCK=$DIR/docker.sock
PIDFILE=$DIR/dockerd.pid

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

bridge() { # NAME CIDR
	ip link show "$1" >/dev/null 2>&1 && return 0
	net=$(echo "$2" | awk -F'[./]' '{ printf "%s.%s.%s.0/%s", $1, $2, $3, $4 }')
	[ -z "$(ip route show "$net")" ] || die "$net is routed here already: give another CIDR"
	log "bridge $1 at $2"
	ip link add "$1" type bridge
	ip addr add "$2" dev "$1"
	ip link set "$1" up
}

start() { # BRIDGE CIDR
	running && { log "dockerd of $DIR is running (pid $(cat "$PIDFILE"))"; return 0; }
	command -v dockerd >/dev/null || die "dockerd is missing: install Debian's docker.io"
	mkdir -p "$DIR/data" "$DIR/exec"
	bridge "$1" "$2"
	[ -f "$DIR/daemon.json" ] || sh "$NDIND_ROOT/toolchain/docker-engine.sh" --config-in "$DIR"
	log "starting dockerd on unix://$SOCK (log: $DIR/dockerd.log)"
	# A session of its own: the test's end or a Ctrl-C must not take it along unasked.
	setsid nohup dockerd --config-file "$DIR/daemon.json" -H "unix://$SOCK" \
		--data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$PIDFILE" \
		--bridge "$1" --iptables=false --ip-forward=false --ip-masq=false \
		--cgroup-parent "ndind-$(basename "$DIR")" >>"$DIR/dockerd.log" 2>&1 &
	wait_until 60 docker -H "unix://$SOCK" info >/dev/null 2>&1 ||
		die "dockerd of $DIR did not answer within 60 s; see $DIR/dockerd.log"
	log "dockerd of $DIR answers (pid $(cat "$PIDFILE"))"
}

stop() {
	running || { log "dockerd of $DIR is not running"; return 0; }
	pid=$(cat "$PIDFILE")
	log "stopping dockerd of $DIR (pid $pid, SIGTERM: its containers get their stop signal)"
	kill -TERM "$pid"
	wait_until 60 sh -c "! kill -0 $pid 2>/dev/null" || die "dockerd $pid did not end within 60 s"
	log "dockerd of $DIR stopped"
}

down() { # BRIDGE
	if running; then
		ids=$(docker -H "unix://$SOCK" ps -aq)
		[ -z "$ids" ] || { log "removing its containers"; echo "$ids" | xargs docker -H "unix://$SOCK" rm -f >/dev/null; }
		stop
	fi
	! ip link show "$1" >/dev/null 2>&1 || { log "removing bridge $1"; ip link del "$1"; }
	# What a killed dockerd may have left mounted under its roots.
	grep -o " $DIR/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" || :; done
	rm -rf "$DIR"
	# The cgroup parent's empty folders, one per hierarchy.
	for cg in /sys/fs/cgroup/*/"ndind-$(basename "$DIR")" /sys/fs/cgroup/"ndind-$(basename "$DIR")"; do
		[ ! -d "$cg" ] || rmdir "$cg" 2>/dev/null || :
	done
	log "engine of $DIR removed"
}

case $what in
start) start "${3:?$usage}" "${4:?$usage}" ;;
stop) stop ;;
down) down "${3:?$usage}" ;;
*) die "$usage" ;;
esac
