#!/bin/sh
# Live reproduction of nerdctl issue #1872 (containernetworking/plugins #810)
# inside a running nerdctl-dind wrapper.
#
# On a bridge network with IP masquerade (nerdctl's default network), the
# bridge plugin gives each container a nat chain CNI-<hash of network name and
# container id> and a POSTROUTING rule `-s IP/32 ... -j CNI-<hash>`. It takes
# them down on CNI DEL only when it is given the container's network
# namespace; nerdctl's postStop hook runs after the task is gone and passes
# none, so every removed container leaves its chain and its rule behind.
# nerdctl 2.1 deletes the rules naming the container after DEL, but not the
# chain. Our build (nerdctl/patches/1.5.0/0005) takes both down.
#
# usage: repro-1872.sh WRAPPER [IMAGE]
#   WRAPPER  name of the running wrapper container
#   IMAGE    busybox image in the inner containerd (default busybox:ndind)
# env:  NERDCTL      nerdctl inside the wrapper (default: nerdctl)
#       REPRO_RUNS   containers run with --rm (default 5); then one more is
#                    run -d and removed with rm -f
# exit: 0 nerdctl behaves; 1 the bug shows (a "FAIL: ..." line says how);
#       2 the check could not run (an "ERROR: ..." line says why).
set -eu

RUNS=${REPRO_RUNS:-5}
FIRST=repro1872-detached
SECOND=repro1872-rm
NETWORK=bridge
NS=default
. "$(dirname "$0")/common.sh"

# The chain the bridge plugin names for a container: "CNI-" and the first 24
# hex digits of sha512(network name + CNI container id), where nerdctl's CNI
# container id is NAMESPACE-ID.
masq_chain() {
	printf '%s' "$NETWORK$NS-$1" | sha512sum | cut -c1-24 | sed 's/^/CNI-/'
}

nat_rules() { docker exec "$WRAPPER" iptables -t nat -S; }

# cid_run NAME ARGS...: nerdctl run --cidfile; prints the container's id.
cid_run() {
	name=$1
	shift
	docker exec "$WRAPPER" rm -f "/tmp/$name.cid"
	nerdctl_in run --name "$name" --cidfile "/tmp/$name.cid" "$@" >/dev/null 2>&1 || error "nerdctl run $name failed"
	docker exec "$WRAPPER" cat "/tmp/$name.cid"
}

main() {
	begin
	nerdctl_in network inspect "$NETWORK" >/dev/null 2>&1 || error "no network $NETWORK in $WRAPPER"
	ids=
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		i=$((i + 1))
		ids="$ids $(cid_run "$SECOND-$i" --rm "$IMAGE" true)"
	done
	log "$RUNS containers run with --rm and gone"
	ids="$ids $(cid_run "$FIRST" -d "$IMAGE" sleep 300)"
	nerdctl_in rm -f "$FIRST" >/dev/null || error "nerdctl rm -f $FIRST failed"
	log "one more run -d and removed with rm -f"

	rules=$(nat_rules)
	chains=0 postrouting=0
	for id in $ids; do
		chain=$(masq_chain "$id")
		if printf '%s\n' "$rules" | grep -qx -- "-N $chain"; then chains=$((chains + 1)); fi
		if printf '%s\n' "$rules" | grep -q -- "^-A POSTROUTING .*-j $chain\$"; then postrouting=$((postrouting + 1)); fi
	done
	n=$((RUNS + 1))
	log "left behind by the $n removed containers: $chains masquerade chains, $postrouting POSTROUTING rules"
	[ "$chains" -eq 0 ] && [ "$postrouting" -eq 0 ] ||
		fail "nerdctl #1872: $n containers came and went; $chains of their CNI masquerade chains and $postrouting of their POSTROUTING rules are still in the nat table"
	log "PASS: $n containers came and went; none left its masquerade chain or POSTROUTING rule"
}

main
