#!/bin/sh
# The wrapper's half of `make trace` (tools/trace.ts streams it in with
# `docker exec -i <wrapper> sh -s`, so it also works in a wrapper whose image
# predates it). For one port the wrapper publishes (the inner host port),
# prints what each hop holds and what a probe from the hop before it sees,
# one fact per line ("NAME VALUE..."); the host side judges them.
#   trace.sh PORT PROTO    PROTO tcp|udp
set -eu
. /scripts/common.sh

PORT=${1:?usage: trace.sh PORT tcp|udp}
PROTO=${2:-tcp}

backend=$(cat "$NDIND_RUN/iptables-backend" 2>/dev/null || echo unknown)
echo "backend $backend"
echo "choice $(cat "$NDIND_RUN/iptables-choice" 2>/dev/null || echo unknown)"
iface=$(awk '$2 == "00000000" { print $1; exit }' /proc/net/route)
addr=$(ip -4 -o addr show dev "${iface:-eth0}" 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
echo "wrapper_addr ${addr:-none}"

# Lines of iptables-save input that match PORT through --dport or --dports
# (lists and a:b ranges), as CNI's portmap plugin writes them.
for_port() {
	awk -v port="$PORT" '{
		for (i = 1; i < NF; i++) {
			if ($i != "--dport" && $i != "--dports") continue
			n = split($(i + 1), parts, ",")
			for (j = 1; j <= n; j++) {
				split(parts[j], r, ":")
				if (parts[j] == port || (r[2] != "" && port + 0 >= r[1] + 0 && port + 0 <= r[2] + 0)) { print; next }
			}
		}
	}'
}

xtables() { # BACKEND APPLET ARGS...
	b=$1
	shift
	"/usr/local/sbin/xtables-$b-multi" "$@"
}

# The backend in use: do PREROUTING (traffic from Docker) and OUTPUT (the
# wrapper's own) reach the portmap chain, and which DNAT rules for PORT hang
# below it ("dnat CHAIN TARGET reached|unreached": a CNI-DN chain that
# CNI-HOSTPORT-DNAT does not jump to for PORT is not reached).
case $backend in
legacy | nft)
	nat=$(xtables "$backend" iptables-save -t nat 2>&1) || echo "nat_error $(echo "$nat" | tail -n 1)"
	for chain in PREROUTING OUTPUT; do
		if echo "$nat" | grep -q -- "^-A $chain .*-j CNI-HOSTPORT-DNAT"; then echo "entry $chain yes"; else echo "entry $chain no"; fi
	done
	jumps=$(echo "$nat" | grep -- '^-A CNI-HOSTPORT-DNAT ' | for_port | sed -n 's/.* -j \([^ ]*\).*/\1/p')
	echo "$nat" | grep -- '^-A CNI-' | grep -- '-j DNAT' | for_port | while read -r _ chain rest; do
		target=$(echo "$rest" | sed -n 's/.*--to-destination \([^ ]*\).*/\1/p')
		if [ "$chain" = CNI-HOSTPORT-DNAT ] || echo "$jumps" | grep -qx "$chain"; then
			echo "dnat $chain $target reached"
		else
			echo "dnat $chain $target unreached"
		fi
	done
	;;
esac

# The other backend: rules for PORT there act on the same packets, in an
# order neither backend controls (left by an earlier start, or by a tool
# that used the other one). Native nft tables that iptables did not write
# are only in the log bundle (make logs).
case $backend in legacy) other=nft ;; nft) other=legacy ;; *) other= ;; esac
if [ -n "$other" ]; then
	echo "other_backend $other"
	rules=$({ xtables "$other" iptables-save; xtables "$other" ip6tables-save; } 2>/dev/null | grep -- '^-A ' || :)
	echo "other_count $(printf '%s' "$rules" | grep -c . || :)"
	printf '%s\n' "$rules" | for_port | sed 's/^/other_rule /'
fi

# Every inner container, in every namespace, that publishes PORT:
# "container NAMESPACE NAME STATUS EXITCODE PID IP CONTAINERPORT".
for ns in $(nerdctl namespace ls -q 2>/dev/null); do
	ids=$(nerdctl -n "$ns" ps -a -q 2>/dev/null)
	[ -n "$ids" ] || continue
	# shellcheck disable=SC2086 # IDs, split on purpose
	nerdctl -n "$ns" inspect --format '{{.Name}}|{{.State.Status}}|{{.State.ExitCode}}|{{.State.Pid}}|{{if .NetworkSettings}}{{.NetworkSettings.IPAddress}}{{end}}|{{index .Config.Labels "nerdctl/ports"}}' $ids 2>/dev/null |
		while IFS='|' read -r name status code pid ip ports; do
			# nerdctl/ports: [{"HostPort":8080,"ContainerPort":80,"Protocol":"tcp","HostIP":"0.0.0.0"}, ...]
			cport=$(echo "$ports" | sed 's/},{/}\n{/g' | grep "\"HostPort\":$PORT," | grep "\"Protocol\":\"$PROTO\"" |
				sed -n 's/.*"ContainerPort":\([0-9]*\).*/\1/p' | head -n 1)
			[ -z "$cport" ] || echo "container $ns $name $status $code $pid ${ip:--} $cport"
		done
done >"$NDIND_RUN/trace.$$"
cat "$NDIND_RUN/trace.$$"
owner=$(awk '$4 == "running" { print; exit }' "$NDIND_RUN/trace.$$")
rm -f "$NDIND_RUN/trace.$$"

# An address:port from /proc/net/{tcp,udp}[6] ("0100007F:0050") in the usual notation.
decode() {
	awk -v a="$1" 'function hex(s) { return sprintf("%d", "0x" s) + 0 }
	BEGIN {
		split(a, p, ":"); h = p[1]
		if (length(h) == 8) {
			printf "%d.%d.%d.%d", hex(substr(h, 7, 2)), hex(substr(h, 5, 2)), hex(substr(h, 3, 2)), hex(substr(h, 1, 2))
		} else if (h == "00000000000000000000000000000000") { printf "[::]" }
		else if (h == "00000000000000000000000001000000") { printf "[::1]" } else { printf "[%s]", h }
		printf ":%d\n", hex(p[2])
	}'
}

probe() { # HOP ADDR PORT: "probe HOP ok|fail DETAIL" (TCP; an HTTP request, any reply will do)
	if [ "$PROTO" != tcp ]; then
		echo "probe $1 skip UDP: not probed"
		return 0
	fi
	out=$(curl -sS --noproxy '*' --max-time 3 -o /dev/null -w "%{http_code} %{time_connect}\n" "http://$2:$3/" 2>&1) && rc=0 || rc=$?
	why=$(echo "$out" | grep -v '^[0-9]' | tail -n 1 | sed 's/^curl: ([0-9]*) //')
	case $rc:$out in
	0:*) echo "probe $1 ok $2:$3 answered (HTTP ${out%% *})" ;;
	[18]:*HTTP/0.9* | [18]:*"Weird server reply"*) echo "probe $1 ok $2:$3 answered (not HTTP)" ;;
	28:*" 0.000000") echo "probe $1 fail $2:$3: no connection within 3 s" ;;
	28:*) echo "probe $1 ok $2:$3 accepted the connection (no reply to an HTTP request within 3 s)" ;;
	*) echo "probe $1 fail $2:$3: $why" ;;
	esac
}

# The owning container's sockets on its port, read from its network
# namespace (/proc/PID/net), with the process that holds each; then the
# probes, inner first.
if [ -n "$owner" ]; then
	# shellcheck disable=SC2086 # the container line, split on purpose
	set -- $owner
	pid=$6 ip=$7 cport=$8
	hexport=$(printf '%04X' "$cport")
	if [ "$PROTO" = tcp ]; then files="tcp tcp6" state=0A; else files="udp udp6" state=07; fi
	for f in $files; do
		awk -v p="$hexport" -v st="$state" 'NR > 1 && $4 == st { split($2, a, ":"); if (a[2] == p) print $2, $10 }' "/proc/$pid/net/$f" 2>/dev/null
	done | while read -r local inode; do
		holder=$(for fd in /proc/[0-9]*/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ] || continue
			p=${fd#/proc/}
			p=${p%%/*}
			echo "$(cat "/proc/$p/comm" 2>/dev/null) (pid $p)"
			break
		done)
		echo "listener $(decode "$local") ${holder:-unknown process}"
	done
	probe inner "$ip" "$cport"
fi
[ -z "${addr:-}" ] || probe nat "$addr" "$PORT"

# Connections conntrack saw for PORT (the probes' own included): the reply
# side shows where NAT sent them.
if command -v conntrack >/dev/null; then
	entries=$(conntrack -L -p "$PROTO" --orig-port-dst "$PORT" 2>/dev/null || :)
	echo "conntrack $(printf '%s' "$entries" | grep -c . || :)"
	printf '%s\n' "$entries" | grep . | head -n 50 | sed 's/^/conntrack_entry /'
else
	echo "conntrack none (no conntrack in this wrapper's bundle)"
fi
