# shellcheck shell=sh
# Sourced by scripts/doctor.sh: the kernel modules nerdctl-dind needs, as
# measured on a modular kernel (docs/host-report.md, "Kernel modules"). The
# kernel loads each one on first use (nothing here runs modprobe), so a
# module only breaks something when it cannot load: blacklisted, or not
# shipped for this kernel. Other checks exercise the features; this one
# names the module behind a feature before anything fails.
# NDIND_DOCTOR_ROOT (default /) is where proc/, sys/ and lib/modules/ are
# read from, so a test can give a made-up kernel.

# The list, in one place: MODULE BACKEND FEATURE. BACKEND is the iptables
# backend whose life loaded it (legacy, nft), or both.
NEEDED_MODULES='
overlay both containerd'"'"'s overlayfs snapshotter (and dockerd'"'"'s default driver)
bridge both nerdctl0 and every CNI network (bridge plugin)
stp both the bridge module (a dependency)
llc both the bridge module (a dependency)
veth both the link of every container with a network
nf_conntrack both published ports and masquerading (conntrack, NAT)
nf_nat both published ports (DNAT) and masquerading
nf_defrag_ipv4 both conntrack, so published ports and masquerading
nf_defrag_ipv6 both conntrack, so published ports and masquerading
x_tables both every iptables rule
nfnetlink both iptables-nft: every rule on the nft backend (and dockerd'"'"'s)
nf_tables both iptables-nft: every rule on the nft backend (and dockerd'"'"'s)
libcrc32c both nf_tables and conntrack (a dependency)
nft_chain_nat both the nat table on the nft backend (and dockerd'"'"'s)
nft_compat both the xt matches of CNI rules on the nft backend
xt_MASQUERADE both masquerading of inner containers'"'"' traffic (-j MASQUERADE)
xt_addrtype both published ports (-m addrtype --dst-type LOCAL)
xt_conntrack both replies to inner containers (-m conntrack, firewall plugin)
xt_comment both every inner container on a network (-m comment in CNI rules)
xt_mark both every inner container on a network (-j MARK / -m mark, portmap)
xt_multiport both every inner container with a published port (-m multiport)
xt_nat both published ports (-j DNAT)
ip_tables legacy iptables-legacy: every CNI rule (the legacy backend)
iptable_nat legacy published ports and masquerading on the legacy backend
iptable_filter legacy the firewall plugin'"'"'s FORWARD rules on the legacy backend
xt_tcpudp legacy published ports on the legacy backend (-p tcp -m tcp)
'

# The state of module $1: loaded, builtin, blacklisted (module_blacklist=
# on the kernel command line), loadable (in modules.dep), absent (not in
# modules.dep) or unknown (no modules.dep to read, e.g. in the wrapper).
module_state() {
	r=${NDIND_DOCTOR_ROOT:-}
	m=$(echo "$1" | tr - _)
	if awk -v m="$m" '{ gsub(/-/, "_", $1) } $1 == m { found = 1 } END { exit !found }' "$r/proc/modules"; then
		echo loaded
		return
	fi
	lib=$r/lib/modules/$(uname -r)
	# /sys/module/NAME exists for built-in modules that have parameters;
	# modules.builtin lists them all.
	if [ -d "$r/sys/module/$m" ] ||
		{ [ -r "$lib/modules.builtin" ] && tr - _ <"$lib/modules.builtin" | grep -q "/$m\.ko\$"; }; then
		echo builtin
		return
	fi
	bl=$(tr ' ' '\n' <"$r/proc/cmdline" 2>/dev/null | sed -n 's/^module_blacklist=//p' | tr ',-' '\n_')
	if echo "$bl" | grep -qx "$m"; then
		echo blacklisted
	elif [ ! -r "$lib/modules.dep" ]; then
		echo unknown
	elif cut -d: -f1 "$lib/modules.dep" | tr - _ | grep -q "/$m\.ko"; then
		echo loadable
	else
		echo absent
	fi
}

check_modules() {
	r=${NDIND_DOCTOR_ROOT:-}
	if [ ! -e "$r/proc/modules" ]; then
		report OK modules "monolithic kernel (no /proc/modules): what is built in is all there is; the other checks exercise it"
		return
	fi
	# In the wrapper only its own backend's modules matter.
	in_use=$(cat "$NDIND_RUN/iptables-backend" 2>/dev/null || :)
	present=0
	loadable=
	broken_legacy=
	broken_nft=
	problems=$WORK/modules
	: >"$problems"
	echo "$NEEDED_MODULES" | while read -r m backend feature; do
		[ -n "$m" ] || continue
		[ -z "$in_use" ] || [ "$backend" = both ] || [ "$backend" = "$in_use" ] || continue
		echo "$m $backend $(module_state "$m") $feature"
	done >"$WORK/module-states"
	while read -r m backend state feature; do
		case $state in
		loaded | builtin) present=$((present + 1)) ;;
		loadable) loadable="$loadable${loadable:+ }$m" ;;
		*)
			echo "$m $backend $state $feature" >>"$problems"
			case $backend in
			legacy) broken_legacy=yes ;;
			nft) broken_nft=yes ;;
			esac
			;;
		esac
	done <"$WORK/module-states"
	while read -r m backend state feature; do
		# A backend's module is fatal only when the other backend cannot
		# stand in (in the wrapper: the one it uses).
		level=FAIL
		case $state in unknown) level=WARN ;; esac
		if [ "$backend" = legacy ] && [ -z "$in_use" ] && [ -z "$broken_nft" ]; then level=WARN; fi
		if [ "$backend" = nft ] && [ -z "$in_use" ] && [ -z "$broken_legacy" ]; then level=WARN; fi
		case $state in
		blacklisted) why="blacklisted on the kernel command line (module_blacklist=)"
			fix="remove $m from module_blacklist= in the boot loader's kernel command line" ;;
		absent) why="not built in and not in /lib/modules/$(uname -r)"
			fix="${ON_HOST}install this kernel's modules package, or build the kernel with the option for $m" ;;
		*) why="not loaded nor built in (no /lib/modules here to tell whether it can load)"
			fix="${ON_HOST}modprobe $m" ;;
		esac
		[ "$backend" = both ] || feature="$feature (the $backend backend; the other one does not need it)"
		report "$level" "module $m" "$why: breaks $feature" "$fix"
	done <"$problems"
	[ -s "$problems" ] || report OK modules "$present of the needed modules loaded or built in${loadable:+; not loaded yet but in modules.dep, loaded on first use: $loadable}"
}
