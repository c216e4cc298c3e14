# shellcheck shell=sh
# Sourced by scripts/doctor.sh (the platforms check) and by
# toolchain/binfmt.sh (`make binfmt`, its closing list): which platforms an
# inner container can run. The host's own, plus each foreign one the kernel
# hands to an emulator through binfmt_misc. Only a handler with the F flag
# counts: the kernel then opens the emulator once, at registration, so it
# runs inside any container; without F it looks the path up in the
# container's own root, where no emulator is.
# NDIND_BINFMT_DIR (default /proc/sys/fs/binfmt_misc) lets a test give a
# made-up one.

# The platforms `make binfmt` registers and the report asks for, as Debian's
# qemu-user-static names them (/usr/lib/binfmt.d/qemu-NAME.conf) and as
# `--platform` names them; the host's own is left out where it is one.
BINFMT_WANTED='x86_64:linux/amd64 aarch64:linux/arm64 arm:linux/arm/v7 riscv64:linux/riscv64 ppc64le:linux/ppc64le s390x:linux/s390x'

# The platform this kernel runs without help, from uname -m.
native_platform() {
	machine=$(uname -m)
	case $machine in
	x86_64) echo linux/amd64 ;;
	aarch64 | arm64) echo linux/arm64 ;;
	armv7l | armv8l) echo linux/arm/v7 ;;
	armv6l) echo linux/arm/v6 ;;
	i?86) echo linux/386 ;;
	*) echo "linux/$machine" ;;
	esac
}

# One line per handler in $1 (a binfmt_misc folder):
#   NAME PLATFORM enabled|disabled FLAGS INTERPRETER
# The platform is read from the ELF header bytes the handler matches (class,
# byte order, e_machine), not from its name, which is whatever its
# registrant chose; "-" for a handler that does not match an ELF header.
# FLAGS is "-" when it has none.
binfmt_handlers() {
	for f in "$1"/*; do
		case ${f##*/} in register | status) continue ;; esac
		[ -f "$f" ] || continue
		awk -v name="${f##*/}" '
			NR == 1 { state = $1 }
			$1 == "interpreter" { interp = $2 }
			$1 == "flags:" { flags = $2 }
			$1 == "offset" { offset = $2 }
			$1 == "magic" { magic = tolower($2) }
			END {
				print name, platform(), state, (flags == "" ? "-" : flags), (interp == "" ? "-" : interp)
			}
			# e_ident: 7f "ELF", class (01: 32-bit, 02: 64-bit), data (01: little
			# endian, 02: big); e_machine is bytes 18-19, in that byte order.
			function platform(   class, le, m) {
				if (offset != 0 || substr(magic, 1, 8) != "7f454c46" || length(magic) < 40) return "-"
				class = substr(magic, 9, 2); le = substr(magic, 11, 2) == "01"
				m = le ? substr(magic, 39, 2) substr(magic, 37, 2) : substr(magic, 37, 4)
				if (m == "0003") return "linux/386"
				if (m == "003e") return "linux/amd64"
				if (m == "0028") return "linux/arm/v7"
				if (m == "00b7") return "linux/arm64"
				if (m == "00f3") return class == "02" ? "linux/riscv64" : "linux/riscv32"
				if (m == "0015") return le ? "linux/ppc64le" : "linux/ppc64"
				if (m == "0016") return class == "02" ? "linux/s390x" : "linux/s390"
				if (m == "0102") return "linux/loong64"
				if (m == "0008") return "linux/mips" (class == "02" ? "64" : "") (le ? "le" : "")
				return "elf-machine-0x" m
			}' "$f"
	done
}

# Hidden mode of doctor.sh in `unshare -m`: a container sees an empty
# /proc/sys/fs/binfmt_misc (the host's mount is not carried in), so the
# folder is mounted here, in a namespace that goes away with this process.
# binfmt_misc is one per kernel, so this is the host's list.
binfmt_mounted_list() {
	mount --make-rprivate / 2>/dev/null || :
	mount -t binfmt_misc binfmt_misc "$1"
	echo "status $(cat "$1/status")"
	binfmt_handlers "$1"
}

# The platforms check: the host's own, and the foreign ones registered with
# the F flag; WARN with the way to add the others when one of BINFMT_WANTED
# is missing or cannot run inside a container.
check_platforms() {
	dir=${NDIND_BINFMT_DIR:-/proc/sys/fs/binfmt_misc}
	native=$(native_platform)
	if [ -r "$dir/status" ]; then
		{ echo "status $(cat "$dir/status")"; binfmt_handlers "$dir"; } >"$WORK/binfmt"
	elif [ -n "$NO_EXERCISE" ]; then
		report WARN platforms "$native (native); binfmt_misc not mounted and not read ($NO_EXERCISE)" \
			"run as root, or mount it: mount -t binfmt_misc binfmt_misc $dir"
		return
	elif ! unshare -m sh "$SELF" __binfmt_list "$dir" >"$WORK/binfmt" 2>"$WORK/err"; then
		report WARN platforms "$native (native) only; binfmt_misc cannot be mounted: $(last_error)" \
			"${ON_HOST}modprobe binfmt_misc (CONFIG_BINFMT_MISC), then make binfmt on the engine's host"
		return
	fi
	status=$(sed -n 's/^status //p' "$WORK/binfmt")
	runs=$(grep -v '^status ' "$WORK/binfmt" | awk -v on="$status" -v native="$native" \
		'on == "enabled" && $2 != "-" && $2 != native && $3 == "enabled" && $4 ~ /F/ { print $2 " (" $1 ")" }')
	# Without F, and no other handler with F for the same platform.
	without_f=$(grep -v '^status ' "$WORK/binfmt" | awk -v native="$native" '$2 != "-" && $2 != native && $3 == "enabled" && $4 !~ /F/ { print $2 }' |
		while read -r p; do printf '%s\n' "$runs" | grep -q "^$p " || echo "$p"; done)
	missing=
	for w in $BINFMT_WANTED; do
		p=${w#*:}
		[ "$p" != "$native" ] || continue
		printf '%s\n' "$runs" | grep -q "^$p " || missing="$missing${missing:+, }$p"
	done
	list="$native (native)$(printf '%s\n' "$runs" | awk 'NF { printf ", %s", $0 }')"
	fix="make binfmt on the engine's host (Linux): Debian's qemu-user-static, registered with the F flag; a Docker Desktop or other VM engine has its own"
	if [ "$status" != enabled ]; then
		report WARN platforms "$native (native) only: binfmt_misc is disabled" "${ON_HOST}echo 1 > /proc/sys/fs/binfmt_misc/status"
	elif [ -n "$without_f" ]; then
		report WARN platforms "$list; registered without the F flag, so not inside containers: $(echo $without_f | sed 's/ /, /g')" "$fix"
	elif [ -n "$missing" ]; then
		report WARN platforms "$list; not: $missing" "$fix"
	else
		report OK platforms "$list"
	fi
}
