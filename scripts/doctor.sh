#!/bin/sh
# Host report: can this kernel and engine run nerdctl + containerd + runc in a
# privileged container? Runs on the host (`make doctor`, arg: the storage
# folder) and in the wrapper (`docker exec <wrapper> /scripts/doctor.sh`).
# Features are exercised in throwaway namespaces, not read from a config, so a
# line says what really works here; docs/host-report.md says how the list of
# features was measured. One line per check; exit 1 only when a check FAILs.
set -eu
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
. "$(dirname "$SELF")/common.sh"

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

# The kernel config, where the kernel exposes it: only to explain a failure
# or to stand in for a test that cannot run; never the verdict on its own.
load_kconfig() {
	KCONFIG=$WORK/kconfig
	KCONFIG_SRC=
	if [ -r /proc/config.gz ] && gzip -dc /proc/config.gz >"$KCONFIG" 2>/dev/null; then
		KCONFIG_SRC=/proc/config.gz
	elif [ -r "/boot/config-$(uname -r)" ]; then
		cp "/boot/config-$(uname -r)" "$KCONFIG"
		KCONFIG_SRC=/boot/config-$(uname -r)
	fi
}

# y, m, n (not set), or ? (no config to read).
kconfig() {
	[ -n "$KCONFIG_SRC" ] || { echo '?'; return; }
	v=$(sed -n "s/^$1=//p" "$KCONFIG")
	echo "${v:-n}"
}

kconfig_states() {
	out=
	for c in $1; do out="$out${out:+ }$c=$(kconfig "$c")"; done
	echo "$out"
}

# What to load or enable when a feature is missing: $1 modules, $2 options.
fix_for() {
	unset_opts=
	module_opts=
	for c in $2; do
		case $(kconfig "$c") in
		y) ;;
		m) module_opts="$module_opts $c" ;;
		*) unset_opts="$unset_opts${unset_opts:+ }$c" ;;
		esac
	done
	if [ -n "$KCONFIG_SRC" ] && [ -z "$unset_opts$module_opts" ]; then
		echo "built in ($2), so not a missing module: run as root in a privileged container, and read the error"
		return
	fi
	# shellcheck disable=SC2086 # $1 is a list of module names
	set -- $1
	if [ $# -gt 1 ]; then load="${ON_HOST}modprobe -a $*"; else load="${ON_HOST}modprobe $*"; fi
	build="build the kernel with $(echo "$unset_opts" | sed 's/ /=y, /g')=y"
	if [ $# = 0 ]; then
		echo "$build"
	elif [ -z "$KCONFIG_SRC" ]; then
		echo "$load; if that fails, $build"
	elif [ -z "$unset_opts" ]; then
		echo "$load"
	else
		echo "$build (or =m, then $load)"
	fi
}

# Runs a check function $5 (status 0 = works; its output is the error), or,
# when namespaces cannot be made here, reads the kernel config instead.
# $1 check, $2 what it exercised, $3 modules, $4 config options, $6 WARN|FAIL.
feature() {
	if [ -n "$NO_EXERCISE" ]; then
		config_only "$1" "$3" "$4" "$6"
	elif "$5" >"$WORK/err" 2>&1; then
		report OK "$1" "$2${3:+ (module: $3)}"
	else
		report "$6" "$1" "$(last_error) [$(kconfig_states "$4")]" "$(fix_for "$3" "$4")"
	fi
}

config_only() {
	states=$(kconfig_states "$3")
	case " $states" in
	*'=?'*) report WARN "$1" "not exercised ($NO_EXERCISE); no kernel config to read" "run as root with unshare(1)" ;;
	*=n*) report "$4" "$1" "not exercised ($NO_EXERCISE); config: $states" "$(fix_for "$2" "$3")" ;;
	*) report OK "$1" "not exercised ($NO_EXERCISE); config: $states${2:+ (module: $2)}" ;;
	esac
}

last_error() {
	msg=$(grep -v '^[[:space:]]*$' "$WORK/err" | tail -n 1 | cut -c1-110)
	echo "${msg:-failed without a message}"
}

# Exercising needs root and unshare(1) (util-linux; busybox has it too).
can_exercise() {
	NO_EXERCISE=
	[ "$(id -u)" = 0 ] || NO_EXERCISE="not root"
	command -v unshare >/dev/null || NO_EXERCISE="no unshare"
	[ -n "$NO_EXERCISE" ] || unshare -n true 2>/dev/null || NO_EXERCISE="unshare -n refused"
}

# A filesystem's type by its magic number: busybox's stat prints "UNKNOWN"
# for %T on overlayfs and cgroup v1 (measured with busybox 1.35).
fs_type() {
	magic=$(stat -f -c %t "$1" 2>/dev/null) || { echo none; return; }
	case $magic in
	794c7630) echo overlayfs ;;
	ef53) echo ext2/3/4 ;;
	58465342) echo xfs ;;
	9123683e) echo btrfs ;;
	2fc12fc1) echo zfs ;;
	1021994) echo tmpfs ;;
	858458f6) echo ramfs ;;
	63677270) echo cgroup2fs ;;
	27e0eb) echo cgroupfs ;;
	6969) echo nfs ;;
	65735546) echo fuse ;;
	*) echo "$(stat -f -c %T "$1") (0x$magic)" ;;
	esac
}

# --- the checks -------------------------------------------------------------

check_kernel() {
	rel=$(uname -r)
	if [ -e /proc/modules ]; then mods="loadable modules"; else mods="monolithic (no /proc/modules: nothing can be loaded, only built in)"; fi
	detail="$rel $(uname -m); $mods; config: ${KCONFIG_SRC:-not exposed}"
	# containerd's overlayfs snapshotter stacks many lowerdirs (Linux 4.0).
	if [ "${rel%%.*}" -lt 4 ] 2>/dev/null; then
		report WARN kernel "$detail" "Linux 4.0 or newer (overlayfs with several lower layers)"
	else
		report OK kernel "$detail"
	fi
}

# One `docker info` for the cgroup driver and the runtime; empty when no
# engine answers (inside the wrapper there is none).
read_docker() {
	DOCKER_INFO=
	command -v docker >/dev/null || return 0
	DOCKER_INFO=$(timeout 15 docker info --format \
		'{{.ServerVersion}}|{{.CgroupDriver}}|{{.CgroupVersion}}|{{.DefaultRuntime}}' 2>/dev/null) || DOCKER_INFO=
}

# v1, v2 (unified) or hybrid (v1 controllers plus a v2 tree at unified/).
check_cgroup() {
	fs=$(fs_type /sys/fs/cgroup)
	if [ "$fs" = cgroup2fs ]; then
		version=v2
		have=$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null || :)
		want="cpu memory pids io cpuset"
	elif [ -d /sys/fs/cgroup/memory ] || [ -d /sys/fs/cgroup/cpu ]; then
		version=v1
		[ "$(fs_type /sys/fs/cgroup/unified)" != cgroup2fs ] || version=hybrid
		have=$(awk '!/^#/ && $4 == 1 && $2 != 0 { print $1 }' /proc/cgroups 2>/dev/null | tr '\n' ' ')
		want="cpu cpuacct cpuset memory devices freezer pids blkio"
	else
		report FAIL cgroup "no cgroup hierarchy at /sys/fs/cgroup ($fs)" \
			"mount cgroups (cgroup2 at /sys/fs/cgroup, or the v1 controllers); kernel: CONFIG_CGROUPS"
		return
	fi
	missing=
	for c in $want; do
		case " $have " in *" $c "*) ;; *) missing="$missing${missing:+ }$c" ;; esac
	done
	if [ -n "$missing" ]; then
		report WARN cgroup "$version; controllers missing: $missing" \
			"enable them in the kernel (CONFIG_MEMCG, CONFIG_CGROUP_PIDS, CONFIG_CPUSETS, CONFIG_CGROUP_DEVICE, CONFIG_CGROUP_FREEZER, CONFIG_BLK_CGROUP) or on the boot line (cgroup_enable=)"
	else
		report OK cgroup "$version; controllers: $want"
	fi
	# In the wrapper on v2, entry.sh moved its processes to /init so that the
	# root can hand every controller down to the inner containers.
	if [ "$version" = v2 ] && [ -d /sys/fs/cgroup/init ]; then
		delegated=$(cat /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || :)
		undelegated=
		for c in $have; do
			case " $delegated " in *" $c "*) ;; *) undelegated="$undelegated${undelegated:+ }$c" ;; esac
		done
		if [ -z "$undelegated" ]; then
			report OK "cgroup delegation" "wrapper processes in /init; delegated to inner containers: $delegated"
		else
			report WARN "cgroup delegation" "not delegated: $undelegated (delegated: ${delegated:-none})" \
				"restart the wrapper (docker restart), which delegates them again"
		fi
	fi
	[ -n "$DOCKER_INFO" ] || return 0
	IFS='|' read -r _ driver dversion _ <<EOF
$DOCKER_INFO
EOF
	report OK "docker cgroup driver" "$driver (docker sees cgroup v$dversion)"
}

# Capability names by number (linux/capability.h), up to CAP_CHECKPOINT_RESTORE.
cap_name() {
	i=$1
	set -- CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP \
		LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER \
		SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE \
		SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP \
		MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF \
		CHECKPOINT_RESTORE
	if [ "$i" -lt $# ]; then shift "$i"; echo "CAP_$1"; else echo "cap_$i"; fi
}

# Docker 20.10 asks runc for every capability on --privileged; a bounding
# set short of the kernel's makes that fail ("unable to apply caps"), which
# toolchain/runc-capfilter.sh works around (see its header).
check_caps() {
	last=$(cat /proc/sys/kernel/cap_last_cap)
	bnd=$((0x$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
	lacks=
	i=0
	while [ "$i" -le "$last" ]; do
		[ $(((bnd >> i) & 1)) = 1 ] || lacks="$lacks${lacks:+ }$(cap_name "$i")"
		i=$((i + 1))
	done
	if [ -z "$lacks" ]; then
		report OK capabilities "bounding set is full (0..$last)"
		return
	fi
	case " $lacks " in
	*" CAP_SYS_ADMIN "* | *" CAP_NET_ADMIN "*)
		report FAIL capabilities "lacks $lacks: no mounts or networks for containers" \
			"run in a --privileged container, on a host that grants CAP_SYS_ADMIN and CAP_NET_ADMIN"
		return ;;
	esac
	if [ -n "$DOCKER_INFO" ]; then
		IFS='|' read -r dver _ _ runtime <<EOF
$DOCKER_INFO
EOF
		if [ "$runtime" = capfilter ]; then
			report WARN capabilities "lacks $lacks (kernel: 0..$last); docker's default runtime is capfilter, so --privileged works; no container here can hold them" \
				"nothing for this project; a container that needs them needs a host that grants them"
		elif [ "${dver%%.*}" -le 20 ] 2>/dev/null; then
			report FAIL capabilities "lacks $lacks (kernel: 0..$last); Docker $dver asks for all of them on --privileged (\"unable to apply caps\")" \
				"register toolchain/runc-capfilter.sh as dockerd's default runtime (toolchain/docker-engine.sh does so for an engine it starts)"
		else
			report WARN capabilities "lacks $lacks (kernel: 0..$last); Docker $dver should build --privileged from the current set (moby PR 42933)" \
				"if docker run --privileged fails with \"unable to apply caps\", register toolchain/runc-capfilter.sh as dockerd's default runtime"
		fi
	elif [ -n "$ON_HOST" ]; then
		report WARN capabilities "lacks $lacks (kernel: 0..$last); nerdctl run --privileged works (containerd grants the current set), --cap-add of these fails" \
			"nothing for this project; a container that needs them needs a host that grants them"
	else
		report WARN capabilities "lacks $lacks (kernel: 0..$last); docker does not answer, so whether --privileged works is unknown (Docker 20.10: \"unable to apply caps\")" \
			"if docker run --privileged fails, register toolchain/runc-capfilter.sh as dockerd's default runtime"
	fi
}

# Path(s) of the iptables command of backend $1 (legacy|nft) for family $2
# (iptables|ip6tables); empty when the image has no such backend.
ipt_cmd() {
	# The bundle's own first (the wrapper), then a host's.
	[ ! -x "/usr/local/sbin/xtables-$1-multi" ] || { echo "/usr/local/sbin/xtables-$1-multi $2"; return; }
	for bin in "/usr/sbin/$2-$1" "/sbin/$2-$1"; do
		[ -x "$bin" ] && { echo "$bin"; return; }
	done
	for bin in "/usr/sbin/xtables-$1-multi" "/sbin/xtables-$1-multi"; do
		[ -x "$bin" ] && { echo "$bin $2"; return; }
	done
	return 0
}

# The rules CNI's bridge, portmap and firewall plugins install for
# `nerdctl run -p` (measured with iptables-save, see docs/host-report.md),
# reduced to one of each table, chain, match and target. "id|arguments".
rule_specs() {
	cat <<'EOF'
nat|-t nat -N NDOC-DN
nat|-t nat -N NDOC-MASQ
nat|-t nat -N NDOC-MARK
nat|-t nat -A POSTROUTING -s 10.99.0.2/32 -j NDOC-MASQ
filter|-t filter -N NDOC-FW
filter|-t filter -A FORWARD -i ndoc0 ! -o ndoc0 -j NDOC-FW
filter|-t filter -A NDOC-FW -o ndoc0 -j DROP
filter|-t filter -A NDOC-FW -j RETURN
masquerade|-t nat -A NDOC-MASQ ! -d 224.0.0.0/4 -j MASQUERADE
dnat|-t nat -A NDOC-DN -p tcp -m tcp --dport 18081 -j DNAT --to-destination 10.99.0.2:80
tcpudp|-t nat -A NDOC-DN -p udp -m udp --dport 18084 -j RETURN
addrtype|-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j NDOC-DN
multiport|-t nat -A NDOC-DN -p tcp -m multiport --dports 18082,18083 -j RETURN
comment|-t nat -A NDOC-DN -m comment --comment ndoc -j RETURN
mark_target|-t nat -A NDOC-MARK -j MARK --set-xmark 0x2000/0x2000
mark_match|-t nat -A NDOC-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
conntrack|-t filter -A NDOC-FW -d 10.99.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ip6nat|-t nat -A POSTROUTING -s fd00:99::/64 -j MASQUERADE
EOF
}

# Per id: check name, legacy modules, legacy options, nft modules, nft options.
rule_meta() {
	case $1 in
	nat) set -- "nat table" "ip_tables iptable_nat nf_nat nf_conntrack" "CONFIG_IP_NF_IPTABLES CONFIG_IP_NF_NAT CONFIG_NF_NAT" \
		"nf_tables nft_chain_nat nf_nat nf_conntrack" "CONFIG_NF_TABLES CONFIG_NF_TABLES_IPV4 CONFIG_NFT_NAT" ;;
	filter) set -- "filter table" "ip_tables iptable_filter" "CONFIG_IP_NF_IPTABLES CONFIG_IP_NF_FILTER" \
		"nf_tables" "CONFIG_NF_TABLES CONFIG_NF_TABLES_IPV4" ;;
	masquerade) set -- "-j MASQUERADE" "xt_MASQUERADE" "CONFIG_NETFILTER_XT_TARGET_MASQUERADE" "nft_masq" "CONFIG_NFT_MASQ" ;;
	dnat) set -- "-j DNAT" "xt_nat" "CONFIG_NETFILTER_XT_NAT" "nft_nat" "CONFIG_NFT_NAT" ;;
	tcpudp) set -- "-m tcp / -m udp" "xt_tcpudp" "CONFIG_NETFILTER_XTABLES" "nf_tables" "CONFIG_NF_TABLES" ;;
	addrtype) set -- "-m addrtype" "xt_addrtype" "CONFIG_NETFILTER_XT_MATCH_ADDRTYPE" "nft_fib_ipv4" "CONFIG_NFT_FIB_IPV4" ;;
	multiport) set -- "-m multiport" "xt_multiport" "CONFIG_NETFILTER_XT_MATCH_MULTIPORT" "nf_tables" "CONFIG_NF_TABLES" ;;
	comment) set -- "-m comment" "xt_comment" "CONFIG_NETFILTER_XT_MATCH_COMMENT" "nf_tables" "CONFIG_NF_TABLES" ;;
	mark_target) set -- "-j MARK" "xt_mark" "CONFIG_NETFILTER_XT_TARGET_MARK" "nf_tables" "CONFIG_NF_TABLES" ;;
	mark_match) set -- "-m mark" "xt_mark" "CONFIG_NETFILTER_XT_MATCH_MARK" "nf_tables" "CONFIG_NF_TABLES" ;;
	conntrack) set -- "-m conntrack" "xt_conntrack nf_conntrack" "CONFIG_NETFILTER_XT_MATCH_CONNTRACK CONFIG_NF_CONNTRACK" \
		"nft_ct nf_conntrack" "CONFIG_NFT_CT CONFIG_NF_CONNTRACK" ;;
	ip6nat) set -- "ip6tables nat" "ip6_tables ip6table_nat xt_MASQUERADE" "CONFIG_IP6_NF_IPTABLES CONFIG_IP6_NF_NAT" \
		"nf_tables nft_chain_nat nft_masq" "CONFIG_NF_TABLES_IPV6 CONFIG_NFT_NAT CONFIG_NFT_MASQ" ;;
	esac
	title=$1 legacy_mods=$2 legacy_cfg=$3 nft_mods=$4 nft_cfg=$5
}

# Hidden mode, run by this script inside `unshare -n`: adds every rule with
# backend commands $1 (iptables) and $2 (ip6tables); prints "id ok|fail msg".
netns_rules() {
	set -f
	rule_specs | while IFS='|' read -r id args; do
		cmd=$1
		[ "$id" != ip6nat ] || cmd=$2
		# shellcheck disable=SC2086 # a command and its arguments, split on purpose
		if err=$($cmd -w 5 $args 2>&1); then
			echo "$id ok"
		else
			echo "$id fail $(echo "$err" | grep -v '^$' | tail -n 1)"
		fi
	done
}

# Each backend is tested for real: its rules go into a throwaway netns.
check_iptables() {
	usable=
	for b in legacy nft; do
		cmd=$(ipt_cmd "$b" iptables)
		: >"$WORK/rules.$b"
		if [ -z "$cmd" ]; then
			echo "no iptables-$b" >"$WORK/status.$b"
			continue
		fi
		if [ -n "$NO_EXERCISE" ]; then
			echo "not exercised ($NO_EXERCISE)" >"$WORK/status.$b"
			continue
		fi
		cmd6=$(ipt_cmd "$b" ip6tables)
		unshare -n sh "$SELF" __netns_rules "$cmd" "${cmd6:-false}" >"$WORK/rules.$b" 2>&1 || :
		if grep -q '^nat fail' "$WORK/rules.$b" || grep -q '^filter fail' "$WORK/rules.$b" ||
			! grep -q '^nat ok' "$WORK/rules.$b"; then
			echo "unusable" >"$WORK/status.$b"
		else
			echo "usable" >"$WORK/status.$b"
			usable="$usable${usable:+ }$b"
		fi
	done
	for b in legacy nft; do
		status=$(cat "$WORK/status.$b")
		rule_meta nat
		if [ "$b" = legacy ]; then mods="$legacy_mods iptable_filter" cfg="$legacy_cfg CONFIG_IP_NF_FILTER"; else mods=$nft_mods cfg=$nft_cfg; fi
		if [ -n "$usable" ]; then sev=WARN; else sev=FAIL; fi
		case $status in
		usable)
			report OK "iptables $b" "nat + filter rules added in a throwaway netns ($($(ipt_cmd "$b" iptables) -V 2>&1))" ;;
		unusable)
			err=$(sed -n -e 's/^nat fail //p' -e 's/^filter fail //p' "$WORK/rules.$b" | head -n 1)
			report "$sev" "iptables $b" "${err:-no result} [$(kconfig_states "$cfg")]" "$(fix_for "$mods" "$cfg")" ;;
		"not exercised"*)
			config_only "iptables $b" "$mods" "$cfg" "$sev" ;;
		*)
			report "$sev" "iptables $b" "$status in this system" "install iptables (1.8+, it has both backends)" ;;
		esac
	done
	if [ -n "$NO_EXERCISE" ]; then
		for id in masquerade dnat tcpudp addrtype multiport comment mark_target mark_match conntrack; do
			rule_config "$id"
		done
		return 0
	fi
	[ -n "$usable" ] || return 0
	complete=" $usable "
	for id in masquerade dnat tcpudp addrtype multiport comment mark_target mark_match conntrack ip6nat; do
		check_rule "$id"
	done
	complete=$(echo "$complete" | sed 's/^ *//; s/ *$//')
	backend_in_use=$(cat "$NDIND_RUN/iptables-backend" 2>/dev/null || :)
	choice=$(cat "$NDIND_RUN/iptables-choice" 2>/dev/null || :)
	if [ -z "$complete" ]; then
		report FAIL "iptables for nerdctl" "no backend has every table, match and target the CNI plugins use" "load the modules named above"
	elif [ -n "$backend_in_use" ] && [ "${complete#*"$backend_in_use"}" = "$complete" ]; then
		report FAIL "iptables for nerdctl" "this wrapper uses $backend_in_use ($choice); complete here: $complete" \
			"pulumi config set iptablesBackend ${complete%% *} (or auto), then make up; or load the modules named above"
	else
		report OK "iptables for nerdctl" "complete backends: $complete${backend_in_use:+; this wrapper uses $backend_in_use ($choice)}"
	fi
}

# One line per match or target, over the usable backends. Newer iptables-nft
# translates most matches to native nftables; older ones use nft_compat.
check_rule() {
	rule_meta "$1"
	ok='' failed='' detail='' fix=''
	for b in $usable; do
		line=$(grep "^$1 " "$WORK/rules.$b" | head -n 1)
		if [ "$b" = legacy ]; then mods=$legacy_mods cfg=$legacy_cfg; else mods=$nft_mods cfg=$nft_cfg; fi
		case $line in
		"$1 ok")
			ok="$ok $b"
			detail="$detail${detail:+; }$b ok ($mods)" ;;
		*)
			failed="$failed $b"
			[ "$1" = ip6nat ] || complete=$(echo " $complete " | sed "s/ $b / /")
			detail="$detail${detail:+; }$b: ${line#"$1 fail "} [$(kconfig_states "$cfg")]"
			f=$(fix_for "$mods" "$cfg")
			[ "$b" = legacy ] || f="$f (an iptables-nft that emits xt matches needs nft_compat and $legacy_mods: CONFIG_NFT_COMPAT, $legacy_cfg)"
			fix="$fix${fix:+; }$b: $f" ;;
		esac
	done
	if [ -z "$failed" ]; then
		report OK "$title" "$detail"
	elif [ -n "$ok" ] || [ "$1" = ip6nat ]; then
		[ "$1" != ip6nat ] || detail="$detail (needed only for nerdctl network create --ipv6)"
		report WARN "$title" "$detail" "$fix"
	else
		report FAIL "$title" "$detail" "$fix"
	fi
}

# Without namespaces to test in: fine when either backend's options are set.
rule_config() {
	rule_meta "$1"
	l=$(kconfig_states "$legacy_cfg")
	n=$(kconfig_states "$nft_cfg")
	detail="not exercised ($NO_EXERCISE); legacy: $l; nft: $n"
	case " $l | $n" in
	*'=?'*) report WARN "$title" "$detail" "run as root with unshare(1)" ;;
	*=n*'|'*=n*) report FAIL "$title" "$detail" "$(fix_for "$legacy_mods" "$legacy_cfg"); or, for nft, $nft_mods" ;;
	*) report OK "$title" "$detail" ;;
	esac
}

# Hidden mode in `unshare -n`: the links the CNI bridge plugin makes; $1
# picks what is tested.
netns_links() {
	case $1 in
	bridge) ip link add ndoc0 type bridge && ip link set ndoc0 up ;;
	veth) ip link add ndoc1 type veth peer name ndoc2 ;;
	br_netfilter)
		ip link add ndoc0 type bridge
		[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ||
			{ echo "no /proc/sys/net/bridge/bridge-nf-call-iptables"; return 1; } ;;
	esac
}

test_namespaces() { unshare -m -u -i -n -p -f true; }
test_bridge() { unshare -n sh "$SELF" __netns_links bridge; }
test_veth() { unshare -n sh "$SELF" __netns_links veth; }
test_br_netfilter() { unshare -n sh "$SELF" __netns_links br_netfilter; }

# overlay in a private mount namespace on a fresh tmpfs, so the result does
# not depend on the filesystem under /tmp (often overlay in a container).
test_overlay() {
	d=$(mktemp -d "${TMPDIR:-/tmp}/ndoc-overlay.XXXXXX")
	rc=0
	unshare -m sh "$SELF" __mount_overlay "$d" tmpfs || rc=$?
	rmdir "$d" 2>/dev/null || :
	return $rc
}

# Hidden mode in `unshare -m`: mounts an overlay in $1 (on a tmpfs if $2 = tmpfs).
mount_overlay() {
	mount --make-rprivate / 2>/dev/null || :
	[ "$2" != tmpfs ] || mount -t tmpfs ndoc "$1"
	mkdir -p "$1/l" "$1/u" "$1/w" "$1/m"
	echo x >"$1/l/f"
	mount -t overlay ndoc -o "lowerdir=$1/l,upperdir=$1/u,workdir=$1/w" "$1/m"
	echo y >"$1/m/f"
	[ "$(cat "$1/u/f")" = y ]
}

check_features() {
	feature namespaces "mount, uts, ipc, net and pid namespaces made with unshare" "" \
		"CONFIG_NAMESPACES CONFIG_UTS_NS CONFIG_IPC_NS CONFIG_NET_NS CONFIG_PID_NS" test_namespaces FAIL
	feature overlay "an overlay mounted and written in a tmp dir" overlay CONFIG_OVERLAY_FS test_overlay FAIL
	exercise=$NO_EXERCISE
	[ -n "$NO_EXERCISE" ] || command -v ip >/dev/null || NO_EXERCISE="no ip(8): install iproute2"
	feature bridge "ip link add type bridge in a throwaway netns" bridge CONFIG_BRIDGE test_bridge FAIL
	feature veth "ip link add type veth in a throwaway netns" veth CONFIG_VETH test_veth FAIL
	# Measured: published ports (also from a container on the same bridge)
	# work with bridge-nf-call-iptables=0; nerdctl info only warns.
	nf=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo unset)
	feature br_netfilter "/proc/sys/net/bridge appears with a bridge in a throwaway netns; here bridge-nf-call-iptables=$nf" \
		br_netfilter CONFIG_BRIDGE_NETFILTER test_br_netfilter WARN
	NO_EXERCISE=$exercise
}

# The storage folder's filesystem: overlayfs cannot take an overlayfs upper
# dir, so the wrapper then falls back to the native snapshotter (slow, big).
check_storage() {
	dir=$STORAGE
	while [ ! -e "$dir" ]; do dir=$(dirname "$dir"); done
	fs=$(fs_type "$dir")
	where="$STORAGE is on $fs"
	[ "$dir" = "$STORAGE" ] || where="$STORAGE does not exist yet; $dir is on $fs"
	case $fs in
	overlayfs)
		report WARN storage "$where" "put it on ext4/xfs; the wrapper falls back to the native snapshotter" ;;
	tmpfs | ramfs)
		report WARN storage "$where: images are lost at reboot" "put it on ext4/xfs" ;;
	*)
		if [ "$dir" = "$STORAGE" ] && [ -z "$NO_EXERCISE" ] && [ -w "$dir" ]; then
			d=$(mktemp -d "$dir/.ndoc-overlay.XXXXXX")
			if unshare -m sh "$SELF" __mount_overlay "$d" plain >"$WORK/err" 2>&1; then
				report OK storage "$where; an overlay with its upper dir there works"
			else
				report FAIL storage "$where; overlay upper dir there fails: $(last_error)" \
					"put it on ext4 or xfs (ftype=1), which overlayfs accepts as upper"
			fi
			rm -rf "$d"
		else
			report OK storage "$where"
		fi ;;
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
	check_kernel
	check_cgroup
	check_caps
	check_features
	check_iptables
	check_storage
	log "summary: $n_ok OK, $n_warn WARN, $n_fail FAIL"
	[ "$n_fail" = 0 ]
}

case ${1:-} in
__netns_rules) shift; netns_rules "$@" ;;
__netns_links) netns_links "$2" ;;
__mount_overlay) mount_overlay "$2" "$3" ;;
*) report_host ;;
esac
