#!/bin/sh
# Proves the environment can do its job: an inner container starts on the
# default network with a published port, and a request to that port through
# the wrapper's own address is answered by the container. `nerdctl images`
# alone says nothing of iptables, CNI or runc.
#   probe.sh            prints one line, "ok: ..."; exits 1 with the reason
#   probe.sh --record   the same, and keeps the line in $NDIND_RUN/probe for
#                       the health check
# The probe's image and container live in a namespace of their own, so the
# user's `nerdctl images` and `nerdctl ps` never show them.
set -eu
. /scripts/common.sh

NS=nerdctl-dind-probe
IMAGE=nerdctl-dind/probe:1
TARBALL=/usr/local/share/nerdctl-dind/probe.tar
record=
[ "${1:-}" != --record ] || record=1

finish() { # STATUS LINE
	[ -z "$record" ] || echo "$1: $2" >"$NDIND_RUN/probe"
	if [ "$1" = ok ]; then echo "ok: $2"; else log "ERROR: $2" >&2; exit 1; fi
}

# One probe at a time (the one at the wrapper's start and verify's may meet).
# /run is a tmpfs, so no lock outlives a restart; one older than a minute is
# a killed probe's.
lock=$NDIND_RUN/probe.lock
waited=0
until mkdir "$lock" 2>/dev/null; do
	waited=$((waited + 1))
	[ "$waited" -lt 600 ] || { rmdir "$lock" 2>/dev/null || :; waited=0; }
	sleep 0.1
done
name=ndind-probe-$$
trap 'nerdctl -n "$NS" rm -f "$name" >/dev/null 2>&1 || :; rmdir "$lock"' EXIT

backend=$(cat "$NDIND_RUN/iptables-backend" 2>/dev/null || echo unknown)
[ "$backend" != none ] ||
	finish fail "no iptables backend works in this wrapper ($(cat "$NDIND_RUN/iptables-choice")): inner containers cannot be networked; load the kernel modules 'make doctor' names, or set iptablesBackend"

if [ -z "$(nerdctl -n "$NS" images -q "$IMAGE" 2>/dev/null)" ]; then
	err=$(nerdctl -n "$NS" load -i "$TARBALL" 2>&1 >/dev/null) ||
		finish fail "the probe image could not be loaded: $(echo "$err" | tail -n 1)"
fi

# A free port: none of the wrapper's listeners (or published ports) holds it.
listening() { awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
port=$((39000 + $$ % 1000))
while listening | grep -qix "$(printf '%04x' "$port")"; do port=$((port + 1)); done

err=$(nerdctl -n "$NS" run -d --name "$name" -p "$port:8080" "$IMAGE" 2>&1 >/dev/null) ||
	finish fail "an inner container cannot start on the default network (iptables $backend): $(echo "$err" | grep -v '^$' | tail -n 1)"

# The wrapper's own address, where Docker's published ports arrive.
iface=$(awk '$2 == "00000000" { print $1; exit }' /proc/net/route)
addr=$(ip -4 -o addr show dev "${iface:-eth0}" 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
addr=${addr:-127.0.0.1}
answers() { body=$(curl -sS --noproxy '*' --max-time 2 "http://$addr:$port/" 2>&1) && [ "$body" = "nerdctl-dind probe" ]; }
wait_until 10 answers ||
	finish fail "an inner container started, but its published port $addr:$port does not answer (iptables $backend): ${body#curl: }"
mtu=$(nerdctl -n "$NS" exec "$name" /bin/busybox cat /sys/class/net/eth0/mtu 2>/dev/null || echo '?')
finish ok "an inner container started on the default network (MTU $mtu) and answered on $addr:$port (iptables $backend)"
