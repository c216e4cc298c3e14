#!/bin/sh
# The wrapper's half of `make logs` (tools/logs.sh streams it in with
# `docker exec -i <wrapper> sh -s`, so it also works in a wrapper whose image
# predates it): writes a tar of the wrapper's logs and of what its commands
# say (nerdctl info, versions, CNI config, both iptables backends' rules, nft,
# the host report) to stdout, and its progress to stderr. Never the files
# that hold credentials (/root/.docker/config.json, the proxy settings).
set -eu
. /scripts/common.sh

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# NAME CMD...: the command's output and errors in NAME; a failure is recorded, not fatal.
save() {
	name=$1
	shift
	mkdir -p "$(dirname "$OUT/$name")"
	"$@" >"$OUT/$name" 2>&1 || echo "(exit $?: $*)" >>"$OUT/$name"
}

log "collecting /var/log, the state of this start, the configuration" >&2
mkdir -p "$OUT/var-log" "$OUT/run" "$OUT/etc"
cp /var/log/*.log "$OUT/var-log/" 2>/dev/null || :
for f in iptables-backend iptables-choice probe mtu; do
	[ ! -f "$NDIND_RUN/$f" ] || cp "$NDIND_RUN/$f" "$OUT/run/$f"
done
[ ! -d /etc/cni/net.d ] || cp -r /etc/cni/net.d "$OUT/etc/cni-net.d"
for f in /etc/containerd/config.toml /etc/nerdctl/nerdctl.toml; do
	[ ! -f "$f" ] || cp "$f" "$OUT/etc/"
done
# The registry settings' files, which hold endpoints, never credentials.
[ ! -d /etc/containerd/certs.d ] || cp -r /etc/containerd/certs.d "$OUT/etc/certs.d"
[ ! -f /etc/nerdctl-dind/managed-files ] || cp /etc/nerdctl-dind/managed-files "$OUT/etc/"

log "asking nerdctl, containerd, runc, buildkit and iptables" >&2
save nerdctl-info.txt nerdctl info
{
	for tool in "containerd --version" "runc --version" "nerdctl --version" "buildkitd --version" "ctr version" \
		"iptables --version" "nft --version" "conntrack --version" "uname -a"; do
		echo "\$ $tool"
		$tool 2>&1 || echo "(exit $?)"
	done
	echo "\$ cat /etc/os-release"
	cat /etc/os-release
} >"$OUT/versions.txt" 2>&1
for ns in $(nerdctl namespace ls -q 2>/dev/null); do
	save "nerdctl/$ns-ps.txt" nerdctl -n "$ns" ps -a
	save "nerdctl/$ns-images.txt" nerdctl -n "$ns" images
done
save nerdctl/networks.txt nerdctl network ls

log "dumping the rules of both iptables backends and nft's ruleset" >&2
for b in legacy nft; do
	save "rules/iptables-$b.txt" "/usr/local/sbin/xtables-$b-multi" iptables-save
	save "rules/ip6tables-$b.txt" "/usr/local/sbin/xtables-$b-multi" ip6tables-save
done
save rules/nft-ruleset.txt nft list ruleset
save rules/conntrack.txt conntrack -L
save rules/ip-addr.txt ip addr
save rules/ip-route.txt ip route

log "running the host report (scripts/doctor.sh)" >&2
save host-report.txt /scripts/doctor.sh

tar -C "$OUT" -cf - .
