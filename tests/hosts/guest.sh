#!/bin/sh
# Test hosts as guest VMs: the disk of tests/hosts/build.sh booted by
# Debian's qemu-system-x86 with a kernel command line per profile, reached
# like any remote engine (ssh://root@127.0.0.1:PORT, the stack's dockerHost).
#
#   sh tests/hosts/guest.sh up PROFILE PORT DIR   boot; DIR gets the run's key,
#                                                 ssh config, known_hosts,
#                                                 bin/ssh, the console log
#   sh tests/hosts/guest.sh stop DIR              power it off, keep its disk:
#                                                 the next `up` of DIR boots
#                                                 that disk (another profile:
#                                                 the same host, a new kernel)
#   sh tests/hosts/guest.sh down DIR              stop it, remove its disk
#   sh tests/hosts/guest.sh profiles              the profile names
#
# DIR/share is shared with the guest over 9p (qemu's -virtfs, mount tag
# ndind-share, security_model none), as Lima shares a user's folder with its
# VM: in the guest, mount -t 9p -o trans=virtio,version=9p2000.L ndind-share /mnt/share.
# Put DIR/bin first on PATH; then DOCKER_HOST=ssh://root@127.0.0.1:PORT works
# non-interactively (docker's ssh transport runs the `ssh` PATH finds).
# Each DIR writes to a copy-on-write overlay of its own, so the cached disk
# stays clean; sshd is forwarded to 127.0.0.1 only. The guest lives as long as
# the process that ran `up` (NDIND_GUEST_OWNER, default its parent): a killed
# test run leaves no qemu behind, nor anything listening.
# NDIND_GUEST_ARCH=arm64 boots an arm64 guest (qemu-system-aarch64's virt
# machine; TCG where this machine is not arm64).
# NDIND_GUEST_ACCEL=kvm|tcg, NDIND_GUEST_CPUS, NDIND_GUEST_MEM override the
# defaults; NDIND_GUEST_APPEND adds kernel parameters to the profile's (e.g.
# module_blacklist=veth, as tests/hosts/modules.sh does).
set -eu
. "$(dirname "$0")/../../toolchain/lib.sh"

# Under TCG on a 2-core machine one vCPU is faster: `docker run --rm busybox
# true` in the guest took 4.8-5.7 s with 1, 6.9-8.9 s with 2 (boot the same).
CPUS=${NDIND_GUEST_CPUS:-1}
MEM=${NDIND_GUEST_MEM:-3072}
# Bounds sized for emulation (boot to ssh measured at 30-40 s on amd64).
BOOT_LIMIT=${NDIND_GUEST_BOOT_LIMIT:-240}
ARCH=$(go_arch "${NDIND_GUEST_ARCH:-amd64}")
export NDIND_GUEST_ARCH=$ARCH
case $ARCH in
amd64) QEMU=qemu-system-x86_64 QEMU_PKG=qemu-system-x86 CONSOLE=ttyS0 ;;
# cortex-a72: -cpu max's pointer authentication costs much under TCG.
arm64) QEMU=qemu-system-aarch64 QEMU_PKG=qemu-system-arm CONSOLE=ttyAMA0 ;;
*) die "NDIND_GUEST_ARCH is '$ARCH': give amd64 or arm64" ;;
esac
KVM_TRIAL_LIMIT=30

# The kernel command line of each profile; a new profile is a new line here.
LEGACY_TABLES=ip_tables,iptable_nat,iptable_filter,iptable_mangle,iptable_raw,iptable_security,ip6_tables,ip6table_nat,ip6table_filter,ip6table_mangle,ip6table_raw,ip6table_security
profile_cmdline() {
	case $1 in
	cgroup2) echo "systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all" ;;
	nft-only) echo "systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all module_blacklist=$LEGACY_TABLES" ;;
	*) die "unknown guest profile '$1': give one of: $(profiles | tr '\n' ' ')" ;;
	esac
}
profiles() { printf 'cgroup2\nnft-only\n'; }

need() {
	command -v "$1" >/dev/null && return 0
	log "installing $2 from Debian"
	apt_get update -qq
	apt_get install -y -qq --no-install-recommends "$2" >/dev/null
}

# The client side: a key made for this DIR, known_hosts (filled once sshd
# answers) and an ssh that reads only this config, so ~/.ssh is not touched.
client_files() {
	mkdir -p "$1/bin"
	rm -f "$1/known_hosts"
	[ -f "$1/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C ndind-guest-test -f "$1/id_ed25519"
	cat >"$1/ssh_config" <<CONFIG
Host *
	IdentityFile $1/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $1/known_hosts
	StrictHostKeyChecking yes
	BatchMode yes
	ConnectTimeout 10
	LogLevel ERROR
CONFIG
	printf '#!/bin/sh\nexec /usr/bin/ssh -F %s/ssh_config "$@"\n' "$1" >"$1/bin/ssh"
	chmod +x "$1/bin/ssh"
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
since() { echo "$(date +%s.%N) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

# Starts qemu with accelerator $1 in the background; its pid in $DIR/qemu.pid.
# Not daemonized, so its own error (e.g. KVM's) stays in $DIR/qemu.log.
start_qemu() {
	case $1/$ARCH in
	kvm/*) set -- -accel kvm -cpu host ;;
	tcg/amd64) set -- -accel tcg -cpu max ;;
	tcg/arm64) set -- -accel tcg -cpu cortex-a72 ;;
	esac
	[ "$ARCH" != arm64 ] || set -- -M virt "$@"
	rm -f "$DIR/console.log" "$DIR/qemu.pid"
	"$QEMU" "$@" -smp "$CPUS" -m "$MEM" -display none -no-reboot \
		-serial "file:$DIR/console.log" -kernel "$DISK/vmlinuz" -initrd "$DISK/initrd.img" \
		-append "root=/dev/vda rw console=$CONSOLE panic=-1 $CMDLINE ndind.ssh_key=$(cut -d' ' -f1,2 "$DIR/id_ed25519.pub" | tr ' ' :)" \
		-drive "file=$DIR/overlay.qcow2,if=virtio,format=qcow2" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:22" -device virtio-net-pci,netdev=n0 \
		-virtfs "local,path=$DIR/share,mount_tag=ndind-share,security_model=none,id=ndind-share" \
		</dev/null >"$DIR/qemu.log" 2>&1 &
	echo $! >"$DIR/qemu.pid"
}

# Waits up to $1 s until "$2" is in the console log; fails at once if qemu ends.
console_shows() {
	end=$(($(date +%s) + $1))
	until grep -q "$2" "$DIR/console.log" 2>/dev/null; do
		alive "$DIR/qemu.pid" || return 1
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.5
	done
}

stop_qemu() {
	if alive "$DIR/watcher.pid"; then kill "$(cat "$DIR/watcher.pid")" 2>/dev/null || :; fi
	alive "$DIR/qemu.pid" || return 0
	pid=$(cat "$DIR/qemu.pid")
	kill "$pid" 2>/dev/null || :
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$pid" 2>/dev/null || :
}

# Whether KVM can run this guest here, found once per host kernel, qemu and
# guest disk and kept beside the disk: a PVM-only /dev/kvm takes the device
# but a stock kernel aborts under it ("failed to set MSR 0x10a") or stalls
# before userspace. Prints kvm or tcg; a KVM that works stays booted.
choose_accel() {
	note=$DISK/accel-$(printf '%s %s' "$(uname -r)" "$("$QEMU" --version | head -1)" | cksum | cut -d' ' -f1)
	if [ -n "${NDIND_GUEST_ACCEL:-}" ]; then
		log "accelerator: $NDIND_GUEST_ACCEL (NDIND_GUEST_ACCEL)" >&2
	elif [ "$(go_arch "$(uname -m)")" != "$ARCH" ]; then
		echo "tcg: a $ARCH guest on $(uname -m)" >"$note"
		log "accelerator: $(cat "$note")" >&2
	elif [ -s "$note" ]; then
		log "accelerator: $(cat "$note") (recorded in $note)" >&2
	elif [ ! -w /dev/kvm ]; then
		echo "tcg: no writable /dev/kvm" >"$note"
		log "accelerator: $(cat "$note")" >&2
	else
		log "trying KVM: the guest must reach userspace within $KVM_TRIAL_LIMIT s" >&2
		start_qemu kvm
		if console_shows "$KVM_TRIAL_LIMIT" "Welcome to"; then
			echo kvm >"$note"
			log "accelerator: kvm (recorded in $note)" >&2
			echo kvm-running
			return 0
		fi
		why=$(grep -m1 -i 'error' "$DIR/qemu.log" || :)
		stop_qemu
		echo "tcg: KVM cannot run this guest here (${why:-no userspace within $KVM_TRIAL_LIMIT s})" >"$note"
		log "accelerator: $(cat "$note"); recorded in $note" >&2
	fi
	if [ -n "${NDIND_GUEST_ACCEL:-}" ]; then echo "$NDIND_GUEST_ACCEL"; else cut -d: -f1 "$note"; fi
}

# Stops qemu when the owner process is gone (a test run killed without its
# after hook), or when this watcher itself is told to stop.
watch_owner() {
	owner=$1 qpid=$(cat "$DIR/qemu.pid")
	(
		trap 'kill $qpid 2>/dev/null; exit 0' INT TERM HUP
		while kill -0 "$owner" 2>/dev/null && kill -0 "$qpid" 2>/dev/null; do sleep 1; done
		kill "$qpid" 2>/dev/null || :
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$DIR/watcher.pid"
}

up() {
	profile=$1 PORT=$2 DIR=$3
	CMDLINE="$(profile_cmdline "$profile") ${NDIND_GUEST_APPEND:-}"
	need "$QEMU" "$QEMU_PKG"
	need qemu-img qemu-utils
	DISK=$(sh "$NDIND_ROOT/tests/hosts/build.sh")
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	! alive "$DIR/qemu.pid" || die "a guest of $DIR runs already (pid $(cat "$DIR/qemu.pid")): sh $0 down $DIR"
	client_files "$DIR"
	mkdir -p "$DIR/share"
	echo "$PORT" >"$DIR/port"
	if [ -f "$DIR/overlay.qcow2" ]; then
		log "booting the disk the last guest of $DIR left (sh $0 stop)"
	else
		qemu-img create -q -f qcow2 -F raw -b "$DISK/disk.img" "$DIR/overlay.qcow2"
	fi
	# A failed or interrupted boot leaves nothing running.
	trap 'stop_qemu' EXIT
	trap 'exit 130' INT TERM HUP
	t0=$(date +%s.%N)
	accel=$(choose_accel)
	case $accel in
	kvm-running) accel=kvm ;;
	kvm | tcg) start_qemu "$accel" ;;
	*) die "NDIND_GUEST_ACCEL is '$accel': give kvm or tcg" ;;
	esac
	watch_owner "${NDIND_GUEST_OWNER:-$PPID}"
	log "guest $profile booting ($ARCH, $accel, $CPUS vCPU, $MEM MiB; console: $DIR/console.log): $CMDLINE"
	end=$(($(date +%s) + BOOT_LIMIT))
	until ssh-keyscan -T 5 -p "$PORT" 127.0.0.1 >"$DIR/known_hosts" 2>/dev/null && [ -s "$DIR/known_hosts" ] &&
		"$DIR/bin/ssh" -p "$PORT" root@127.0.0.1 true 2>/dev/null; do
		alive "$DIR/qemu.pid" || die "qemu ended: $(tail -3 "$DIR/qemu.log"); console: $(tail -3 "$DIR/console.log" 2>/dev/null)"
		[ "$(date +%s)" -lt "$end" ] || die "guest $profile: no ssh login on 127.0.0.1:$PORT within $BOOT_LIMIT s; see $DIR/console.log"
		sleep 1
	done
	booted=$(since "$t0")
	until "$DIR/bin/ssh" -p "$PORT" root@127.0.0.1 docker info >/dev/null 2>&1; do
		# systemd gives up on dockerd after its third failed start (e.g. a
		# module it needs is blacklisted): no use waiting out the limit.
		if [ "$("$DIR/bin/ssh" -p "$PORT" root@127.0.0.1 systemctl is-failed docker 2>/dev/null)" = failed ]; then
			die "guest $profile: dockerd failed to start: $("$DIR/bin/ssh" -p "$PORT" root@127.0.0.1 journalctl -u docker -o cat 2>/dev/null |
				grep -E 'level=(error|fatal)|failed to start daemon' | tail -n 1)"
		fi
		[ "$(date +%s)" -lt "$end" ] || die "guest $profile: dockerd does not answer within $BOOT_LIMIT s; see $DIR/bin/ssh -p $PORT root@127.0.0.1 journalctl -u docker"
		sleep 1
	done
	trap - EXIT INT TERM HUP
	log "guest $profile: ssh in $booted s, docker in $(since "$t0") s ($ARCH, $accel) at ssh://root@127.0.0.1:$PORT"
}

# A clean poweroff, so that the disk holds what the guest wrote (Docker's
# state, the stacks' storage); killed if it takes longer than a minute.
stop() {
	DIR=$1
	alive "$DIR/qemu.pid" || die "no guest runs for $DIR"
	log "powering off the guest of $DIR; its disk is kept"
	t0=$(date +%s.%N)
	"$DIR/bin/ssh" -p "$(cat "$DIR/port")" root@127.0.0.1 systemctl poweroff >/dev/null 2>&1 || :
	i=0
	while alive "$DIR/qemu.pid" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	alive "$DIR/qemu.pid" && warn "the guest did not power off within 60 s; killing it (its disk may miss the last writes)"
	stop_qemu
	log "guest of $DIR off in $(since "$t0") s"
}

down() {
	DIR=$1
	[ -d "$DIR" ] || return 0
	if alive "$DIR/qemu.pid"; then log "stopping the guest of $DIR (qemu pid $(cat "$DIR/qemu.pid"))"; fi
	stop_qemu
	rm -f "$DIR/overlay.qcow2" "$DIR/qemu.pid" "$DIR/watcher.pid"
	port=$(cat "$DIR/port" 2>/dev/null || :)
	[ -z "$port" ] || ! ss -Hltn "sport = :$port" | grep -q . || die "something still listens on 127.0.0.1:$port"
}

case ${1:-} in
up) [ $# -eq 4 ] || die "usage: $0 up PROFILE PORT DIR"; up "$2" "$3" "$4" ;;
stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
down) [ $# -eq 2 ] || die "usage: $0 down DIR"; down "$2" ;;
profiles) profiles ;;
*) die "usage: $0 up PROFILE PORT DIR | stop DIR | down DIR | profiles" ;;
esac
