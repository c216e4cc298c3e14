# shellcheck shell=sh
# Sourced by scripts/doctor.sh: how a check reaches its verdict. A feature is
# exercised in a throwaway namespace when this process can make one; the
# kernel config only explains a failure, names the module or option to fix
# it, or stands in when nothing can be exercised (not root, no unshare).

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
