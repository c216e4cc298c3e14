# shellcheck shell=sh
# Sourced by scripts/doctor.sh: IPv6 for inner networks. An IPv6 address is
# put on a bridge in a throwaway netns (what the CNI bridge plugin does for
# `nerdctl network create --subnet fd00:44::/64`); in the wrapper, also
# whether scripts/entry.sh could turn IPv6 on in its namespace, which Docker
# turns off. The ip6tables nat line of the iptables check says whether the
# published ports of such a network can work. NDIND_DOCTOR_ROOT (default /)
# lets a test give a made-up /proc.

# What does not work without IPv6, and what still does.
IPV6_SCOPE="IPv4 networks, published ports and the forwards work; IPv6 subnets (nerdctl network create --subnet fd00:44::/64, 2.x's --ipv6) and ports published on them do not"

# Hidden mode of doctor.sh in `unshare -n`: IPv6 on in this throwaway netns
# (it may start off, as Docker's do), then an address on a new bridge.
netns_ipv6() {
	for conf in all default; do echo 0 >"/proc/sys/net/ipv6/conf/$conf/disable_ipv6"; done
	ip link add ndoc0 type bridge
	ip link set ndoc0 up
	ip -6 addr add fd00:99::1/64 dev ndoc0
}

check_ipv6() {
	r=${NDIND_DOCTOR_ROOT:-}
	if [ ! -d "$r/proc/sys/net/ipv6" ]; then
		if tr ' ' '\n' <"$r/proc/cmdline" 2>/dev/null | grep -qx 'ipv6.disable=1'; then
			why="the kernel was booted with ipv6.disable=1" fix="${ON_HOST}remove ipv6.disable=1 from the boot loader's kernel command line, then reboot"
		else
			case $(kconfig CONFIG_IPV6) in
			m) why="the ipv6 module is not loaded [CONFIG_IPV6=m]" fix="${ON_HOST}modprobe ipv6" ;;
			y) why="IPv6 is built in [CONFIG_IPV6=y] but this namespace has none" fix="${ON_HOST}read the kernel command line (/proc/cmdline) for an option that turns IPv6 off" ;;
			*) why="the kernel has no IPv6 [$(kconfig_states CONFIG_IPV6)]" fix="build the kernel with CONFIG_IPV6=y (or =m, then ${ON_HOST}modprobe ipv6)" ;;
			esac
		fi
		report WARN ipv6 "no /proc/sys/net/ipv6: $why; $IPV6_SCOPE" "$fix"
		return
	fi
	# In the wrapper: what this start's entry.sh could do.
	state=$(cat "$NDIND_RUN/ipv6" 2>/dev/null || :)
	case $state in
	"" | on) ;;
	*)
		report WARN ipv6 "the wrapper's namespace has IPv6 $state; $IPV6_SCOPE" "run the wrapper privileged (the privileged setting), then make up"
		return ;;
	esac
	where="in the wrapper's namespace: on (scripts/entry.sh turns it on; Docker turns it off)"
	[ -n "$state" ] || where="a wrapper turns it on in its namespace at start (Docker turns it off there)"
	if [ -n "$NO_EXERCISE" ]; then
		report OK ipv6 "/proc/sys/net/ipv6 present, not exercised ($NO_EXERCISE); $where"
	elif unshare -n sh "$SELF" __netns_ipv6 >"$WORK/err" 2>&1; then
		report OK ipv6 "an IPv6 address put on a bridge in a throwaway netns; $where; published ports on IPv6 networks need the ip6tables nat line above"
	else
		report WARN ipv6 "an IPv6 address on a bridge in a throwaway netns: $(last_error); $IPV6_SCOPE" \
			"read the error: IPv6 is in this kernel, but refused here (run as root in a privileged container)"
	fi
}
