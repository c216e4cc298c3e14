# shellcheck shell=sh
# Sourced by scripts/doctor.sh: the kernel, the cgroup hierarchy and its
# delegation, what docker says of its cgroup driver and runtime, and the
# capability bounding set.

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
