# shellcheck shell=sh
# Sourced by scripts/doctor.sh: each iptables backend (legacy, nft) gets the
# rules the CNI plugins install for `nerdctl run -p` in a throwaway netns;
# one line a backend, one a match or target, one verdict for nerdctl.

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
