#!/bin/sh
# Live reproduction of the network-prune bug inside a running nerdctl-dind
# wrapper: a stopped container's network is pruned before the container is
# removed.
#
# A container stopped with `nerdctl stop` keeps its CNI attachment until its
# task is deleted: the postStop hook runs CNI DEL at `nerdctl rm`, and for
# that it loads the network's config by name. `nerdctl network prune` counts
# only running containers as users, so it deletes the network of a stopped
# one; the later `nerdctl rm` then fails in the hook ("no such network"), and
# the bridge plugin's POSTROUTING masquerade rule for the container's address
# stays in the nat table while the same address is handed out again when the
# network is made anew. Our build (nerdctl/patches/1.5.0/0003) detaches a
# stopped container from its networks at stop, so nothing is left for rm.
#
# usage: repro-prune.sh WRAPPER [IMAGE]
#   WRAPPER  name of the running wrapper container
#   IMAGE    busybox image in the inner containerd (default busybox:ndind)
# env:  NERDCTL        nerdctl inside the wrapper (default: nerdctl)
#       REPRO_SUBNET   the throwaway network's subnet (default 10.4.97.0/24)
# exit: 0 nerdctl behaves; 1 the bug shows (a "FAIL: ..." line per finding);
#       2 the check could not run (an "ERROR: ..." line says why).
set -eu

SUBNET=${REPRO_SUBNET:-10.4.97.0/24}
NETWORK=repro-prune-net
FIRST=repro-prune-old
SECOND=repro-prune-new
. "$(dirname "$0")/common.sh"

remove_network() { nerdctl_in network rm "$NETWORK" >/dev/null 2>&1 || :; }

# The nat table's POSTROUTING rules whose source is exactly ADDR.
masquerade_of() { docker exec "$WRAPPER" iptables -t nat -S POSTROUTING | grep -F -- "-s $1/32" || :; }

main() {
	begin
	trap 'remove_containers; remove_network' EXIT
	remove_network
	log "nerdctl network create --subnet $SUBNET $NETWORK"
	nerdctl_in network create --subnet "$SUBNET" "$NETWORK" >/dev/null || error "nerdctl network create $NETWORK failed"
	log "nerdctl run -d --name $FIRST --network $NETWORK"
	nerdctl_in run -d --name "$FIRST" --network "$NETWORK" "$IMAGE" busybox sleep 600 >/dev/null || error "nerdctl run $FIRST failed"
	addr=$(nerdctl_in exec "$FIRST" busybox ip -4 -o addr show eth0 | awk '{ sub("/.*", "", $4); print $4 }')
	[ -n "$addr" ] || error "$FIRST has no IPv4 address on eth0"
	[ -n "$(masquerade_of "$addr")" ] || error "no POSTROUTING rule for $FIRST's $addr while it runs: the bridge plugin masquerades differently here"
	log "$FIRST has $addr and its POSTROUTING masquerade rule"

	log "nerdctl stop -t 1 $FIRST, then nerdctl network prune -f"
	nerdctl_in stop -t 1 "$FIRST" >/dev/null || error "nerdctl stop $FIRST failed"
	pruned=$(nerdctl_in network prune -f 2>&1) || error "nerdctl network prune failed: $pruned"
	if nerdctl_in network inspect "$NETWORK" >/dev/null 2>&1; then
		log "network prune kept $NETWORK (a stopped container still uses it)"
	else
		log "network prune deleted $NETWORK while stopped $FIRST still names it"
	fi

	log "nerdctl rm $FIRST"
	if ! out=$(nerdctl_in rm "$FIRST" 2>&1); then
		problem "network prune: nerdctl rm $FIRST failed after its network was pruned: $out"
		nerdctl_in rm -f "$FIRST" >/dev/null 2>&1 || :
	elif printf '%s' "$out" | grep -q 'poststop hook'; then
		problem "network prune: nerdctl rm $FIRST reported its postStop hook failing: $(printf '%s' "$out" | grep 'poststop hook' | head -n 1)"
	fi
	left=$(masquerade_of "$addr")
	[ -z "$left" ] || problem "network prune: $FIRST is gone, and its address $addr still has a POSTROUTING rule: $left"

	# The address is handed out again: the stale rule now acts on a new container.
	remove_network
	nerdctl_in network create --subnet "$SUBNET" "$NETWORK" >/dev/null || error "nerdctl network create $NETWORK (again) failed"
	nerdctl_in run -d --name "$SECOND" --network "$NETWORK" "$IMAGE" busybox sleep 600 >/dev/null || error "nerdctl run $SECOND failed"
	again=$(nerdctl_in exec "$SECOND" busybox ip -4 -o addr show eth0 | awk '{ sub("/.*", "", $4); print $4 }')
	log "$SECOND on the network made anew has $again"
	if [ "$again" = "$addr" ] && [ -n "$left" ]; then
		problem "network prune: $SECOND was given $addr, which still carries $FIRST's leftover masquerade rule"
	fi
	finish
	log "PASS: after network prune, nerdctl rm $FIRST succeeded and left no POSTROUTING rule for $addr"
}

main
