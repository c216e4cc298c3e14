#!/bin/sh
# Which kernel modules nerdctl-dind needs, measured on a modular kernel (this
# machine's is monolithic, so it could never be seen here): a cgroup2 guest
# of tests/hosts/guest.sh, two stacks on it (iptablesBackend legacy and nft),
# /proc/modules after boot (dockerd's own) and after each backend's start and
# life on a fresh boot (the probe at start, an inner run -p with traffic, an
# IPv6 network with a published port, nerdctl network create, a nerdctl
# build); then each module seen, blacklisted on the kernel command line of a
# reboot (module_blacklist=), to see what breaks and how. The results go to
# docs/host-report.md by hand.
#
#   sh tests/hosts/modules.sh                 the whole measurement
#   sh tests/hosts/modules.sh MODULE...       the same, blacklisting only these
#
# One reboot a module, about 3-5 minutes each under emulation, fewer where it
# can be done without losing truth: a module only one backend's life loads
# cannot break the other's, so it shares its reboot with a module of the other
# backend and only that backend's life runs. The most telling modules go
# first; NDIND_MODULES_MINUTES (default: none) stops starting reboots after
# that many minutes and says which modules were left. Prints a line per
# module; everything stays in $NDIND_MODULES_OUT (default /tmp/ndind-modules),
# the table's rows in its file results.
set -eu
. "$(dirname "$0")/../../toolchain/lib.sh"
cd "$NDIND_ROOT"

OUT=${NDIND_MODULES_OUT:-/tmp/ndind-modules}
PORT=${NDIND_MODULES_PORT:-16950}
MINUTES=${NDIND_MODULES_MINUTES:-}
case $MINUTES in '' | *[!0-9]*) [ -z "$MINUTES" ] || die "NDIND_MODULES_MINUTES is '$MINUTES': give whole minutes" ;; esac
DIR=$OUT/guest
ENGINE=ssh://root@127.0.0.1:$PORT
BASE=nerdctl-dind/base:alpine-3.23
BUSYBOX_TAR=$NDIND_CACHE/images/busybox.tar
# Stacks of this script only, in a state backend of its own.
export PULUMI_BACKEND_URL="file://$OUT/state" PULUMI_CONFIG_PASSPHRASE=ndind-modules \
	PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true PULUMI_NODEJS_TRANSPILE_ONLY=true
unset PULUMI_CONFIG_PASSPHRASE_FILE
# docker's ssh transport runs the `ssh` PATH finds: the guest's own first.
PULUMI_BIN=$NDIND_CACHE/pulumi/v$(npm_pin @pulumi/pulumi)/bin
export PATH="$DIR/bin:$PULUMI_BIN:$PATH"
STACKS="legacy nft"

guest() { "$DIR/bin/ssh" -p "$PORT" root@127.0.0.1 "$@"; }
stack_name() { echo "hosts-modules-$1"; }
wrapper() { echo "nerdctl-dind-$(stack_name "$1")"; }
# P BACKEND ARGS...: pulumi on that backend's stack.
P() { s=$(stack_name "$1"); shift; pulumi --non-interactive --stack "$s" "$@"; }

cleanup() {
	for b in $STACKS; do
		pulumi stack rm --yes --force --non-interactive --stack "$(stack_name "$b")" >/dev/null 2>&1 || :
		rm -f "stacks/Pulumi.$(stack_name "$b").yaml"
	done
	sh tests/hosts/guest.sh down "$DIR" || :
}

# Boots the guest's disk with kernel parameters $1 (the stacks' wrappers come
# back by themselves); its output in $2. A guest whose dockerd does not
# start was stopped by guest.sh already, with the reason in $2.
reboot() {
	if [ -s "$DIR/qemu.pid" ] && kill -0 "$(cat "$DIR/qemu.pid")" 2>/dev/null; then
		sh tests/hosts/guest.sh stop "$DIR" >/dev/null
	fi
	NDIND_GUEST_OWNER=$$ NDIND_GUEST_APPEND="$1" sh tests/hosts/guest.sh up cgroup2 "$PORT" "$DIR" >"$2" 2>&1
}

loaded() { guest cat /proc/modules | awk '{ print $1 }' | LC_ALL=C sort; }

make_stack() {
	b=$1
	name=$(stack_name "$b")
	pulumi stack init "$name" --non-interactive >/dev/null
	for kv in plugins=ndind baseImage=$BASE dockerHost=$ENGINE iptablesBackend=$b; do
		P "$b" config set "${kv%%=*}" "${kv#*=}"
	done
	P "$b" config set --type string --path 'preload[0]' "$BUSYBOX_TAR"
	t0=$(date +%s)
	P "$b" up --yes --skip-preview >"$OUT/up-$b.log" 2>&1 || die "up of $name failed; see $OUT/up-$b.log"
	log "$name up in $(($(date +%s) - t0)) s"
}

# The life of a stack, inside its wrapper: one line per step, "ok" or
# "FAIL <what it said>". Waits for the probe the wrapper runs at start.
LIFE='
step() { name=$1; shift; if err=$("$@" 2>&1); then echo "$name ok"; else echo "$name FAIL $(echo "$err" | grep -v "^$" | tail -n 1)"; fi; }
i=0; until [ -s /run/nerdctl-dind/probe ] || [ $i -ge 2400 ]; do sleep 0.1; i=$((i + 1)); done
probe() { p=$(cat /run/nerdctl-dind/probe 2>/dev/null) || { echo "no probe result in 240 s"; return 1; }; echo "$p"; case $p in ok:*) ;; *) return 1 ;; esac; }
step probe probe
echo "backend $(cat /run/nerdctl-dind/iptables-backend)"
addr=$(ip -4 -o addr show dev eth0 | awk "{ sub(/\/.*/, \"\", \$4); print \$4 }")
web() { n=$1; shift; nerdctl run -d --name "$n" "$@" busybox:ndind sh -c "echo page > /www/index.html && exec httpd -f -p 80 -h /www" >/dev/null; }
answers() { j=0; until curl -fsS --noproxy "*" --max-time 3 "$1" >/dev/null 2>&1; do j=$((j + 1)); [ $j -lt 20 ] || { curl -sS --noproxy "*" --max-time 3 "$1"; return 1; }; sleep 0.5; done; }
runp() { web web -p 8080:80 && answers "http://$addr:8080/"; }
step run-p runp
# nerdctl 1.5.0 has no --ipv6: an IPv6 --subnet makes a v6-only network.
v6() { nerdctl network create --subnet fd00:44::/64 v6 >/dev/null &&
	web web6 --net v6 -p 8081:80 &&
	{ ip6tables -t nat -S CNI-HOSTPORT-DNAT | grep -q 8081 || { echo "no ip6tables DNAT rule for 8081"; return 1; }; } &&
	a6=$(nerdctl exec web6 ip -6 -o addr show dev eth0 scope global | awk "{ sub(/\/.*/, \"\", \$4); print \$4; exit }") &&
	answers "http://[$a6]:80/"; }
step ipv6-port v6
netx() { nerdctl network create netx >/dev/null && web webx --net netx -p 8082:80 && answers "http://$addr:8082/"; }
step network-create netx
build() { d=$(mktemp -d) && printf "FROM busybox:ndind\nRUN echo built > /built\n" >"$d/Dockerfile" &&
	nerdctl build -q -t built:1 "$d" >/dev/null && out=$(nerdctl run --rm built:1 cat /built) && [ "$out" = built ]; }
step build build
nerdctl rm -f web web6 webx >/dev/null 2>&1; nerdctl network rm v6 netx >/dev/null 2>&1; nerdctl rmi -f built:1 >/dev/null 2>&1; true
'

# The life of backend $1's stack; a wrapper that does not run is a result too.
life() {
	guest docker exec -i "$(wrapper "$1")" sh -s <<EOF 2>&1 || echo "wrapper FAIL $(guest docker inspect -f '{{.State.Status}} {{.State.Error}}' "$(wrapper "$1")" 2>&1)"
$LIFE
EOF
}

# Rank of a module in the order of blacklisting: storage and links first,
# then netfilter, then the rest; modules that are only other modules'
# helpers last (blacklisting one breaks what needs its user).
rank() {
	case $1 in
	overlay | bridge | br_netfilter | veth) echo 1 ;;
	stp | llc | libcrc32c | nf_defrag_ipv4 | nf_defrag_ipv6) echo 4 ;;
	nf_* | nft_* | x_tables | xt_* | ip_tables | iptable_* | ip6_tables | ip6table_* | ipt_* | ip6t_*) echo 2 ;;
	*) echo 3 ;;
	esac
}

# Which lives a module can break: both when dockerd had it loaded before any
# stack or both backends' lives loaded it, else the one whose life did.
who() {
	if grep -qx "$1" "$OUT/before"; then echo both; return; fi
	l=$(grep -cx "$1" "$OUT/loaded-legacy" || :)
	n=$(grep -cx "$1" "$OUT/loaded-nft" || :)
	case $l$n in 11) echo both ;; 10) echo legacy ;; 01) echo nft ;; *) echo none ;; esac
}

# The reboots: lines "MODULE[,MODULE] WHO[,WHO]"; one module a line, or a
# legacy-only and an nft-only one sharing a line, in rank order.
schedule() {
	for m in "$@"; do echo "$(rank "$m") $(who "$m") $m"; done | LC_ALL=C sort -k1,1n -k3,3 | awk '
	{ m[NR] = $3; w[NR] = $2 }
	END {
		for (i = 1; i <= NR; i++) {
			if (done[i]) continue
			done[i] = 1
			if (w[i] != "legacy" && w[i] != "nft") { print m[i], w[i]; continue }
			other = w[i] == "legacy" ? "nft" : "legacy"
			for (j = i + 1; j <= NR; j++) if (!done[j] && w[j] == other) break
			if (j <= NR) { done[j] = 1; print m[i] "," m[j], w[i] "," w[j] } else print m[i], w[i]
		}
	}'
}

# ok, or FAIL with the failed steps and the first one's words, for backend
# $2 in result file $1.
verdict() {
	skip=$OUT/baseline-fail-$2
	failed=$(awk -v b="$2" 'FILENAME == ARGV[1] { s[$1] = 1; next } $1 == b && $3 == "FAIL" && !($2 in s) { printf "%s%s", sep, $2; sep = "," }' "$skip" "$1")
	first=$(awk -v b="$2" 'FILENAME == ARGV[1] { s[$1] = 1; next } $1 == b && $3 == "FAIL" && !($2 in s) { $1 = $2 = $3 = ""; sub(/^ +/, ""); print; exit }' "$skip" "$1" | cut -c1-300)
	if [ -n "$failed" ]; then echo "FAIL $failed: $first"; else echo ok; fi
}

mkdir -p "$OUT"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
sh tests/hosts/guest.sh down "$DIR" >/dev/null 2>&1 || :
rm -rf "$DIR" "$OUT/state" "$OUT"/blacklist-* "$OUT/results"
mkdir -p "$OUT/state"
start=$(date +%s)

log "booting the guest; then the stacks, and each backend's life alone on a fresh boot"
reboot "" "$OUT/boot.log" || die "the guest did not boot; see $OUT/boot.log"
guest uname -r >"$OUT/kernel"
loaded >"$OUT/before"
for b in $STACKS; do make_stack "$b"; done
# One wrapper a boot, and no host report (its doctor tries both backends'
# rules): what a fresh kernel loads for that backend's start and life alone.
# A wrapper stopped by hand does not come back at boot.
for b in $STACKS; do
	for other in $STACKS; do [ "$other" = "$b" ] || guest docker stop "$(wrapper "$other")" >/dev/null; done
	reboot "" "$OUT/boot.log" || die "the guest did not boot again; see $OUT/boot.log"
	life "$b" | tee "$OUT/life-$b"
	# A step that fails with nothing blacklisted judges no module: left out
	# of the verdicts (and said so); without a running port, nothing can.
	! grep -Eq '^(probe|run-p) FAIL' "$OUT/life-$b" || die "the $b life fails with nothing blacklisted, so no module can be judged by it: $OUT/life-$b"
	awk '$2 == "FAIL" { print $1 }' "$OUT/life-$b" >"$OUT/baseline-fail-$b"
	[ ! -s "$OUT/baseline-fail-$b" ] || log "$b: fails with nothing blacklisted, so left out of the verdicts: $(tr '\n' ' ' <"$OUT/baseline-fail-$b")"
	guest cat /proc/modules >"$OUT/proc-modules-$b"
	loaded >"$OUT/after-$b"
	comm -13 "$OUT/before" "$OUT/after-$b" >"$OUT/loaded-$b"
	log "$b: the wrapper's start and life loaded $(wc -l <"$OUT/loaded-$b") modules: $(tr '\n' ' ' <"$OUT/loaded-$b")"
	for other in $STACKS; do [ "$other" = "$b" ] || guest docker start "$(wrapper "$other")" >/dev/null; done
done
log "baseline done in $(($(date +%s) - start)) s"

if [ $# -eq 0 ]; then
	# Every module either life loaded, plus those dockerd had loaded already
	# that containers' networking and storage use.
	{
		cat "$OUT"/loaded-*
		grep -E '^(overlay|bridge|stp|llc|br_netfilter|veth|libcrc32c|x_tables|xt_|nf|ip_tables|iptable_|ip6_tables|ip6table_|ipt_|ip6t_)' "$OUT/before" || :
	} | LC_ALL=C sort -u >"$OUT/candidates"
	# shellcheck disable=SC2046 # one module a word
	set -- $(cat "$OUT/candidates")
fi
schedule "$@" >"$OUT/schedule"
log "$(wc -l <"$OUT/schedule") reboots for $# modules, in this order: $(tr '\n' ';' <"$OUT/schedule")"

# The schedule on fd 3: ssh in the loop reads stdin.
while read -r mods whos <&3; do
	if [ -n "$MINUTES" ] && [ $(($(date +%s) - start)) -ge $((MINUTES * 60)) ]; then
		echo "$mods" | tr , '\n' | sed "s/\$/|not measured (NDIND_MODULES_MINUTES=$MINUTES reached)/" | tee -a "$OUT/results"
		continue
	fi
	t0=$(date +%s)
	r=$OUT/blacklist-$(echo "$mods" | tr , +)
	if reboot "module_blacklist=$mods" "$r.boot"; then
		lives=$(echo "$whos" | tr , '\n' | sed 's/^\(both\|none\)$/legacy\nnft/' | LC_ALL=C sort -u)
		{
			for b in $lives; do life "$b" | sed "s/^/$b /"; done
			echo "loaded $(loaded | tr '\n' ' ')"
		} >"$r"
		booted=yes
	else
		booted=
	fi
	i=0
	for m in $(echo "$mods" | tr , ' '); do
		i=$((i + 1))
		w=$(echo "$whos" | cut -d, -f"$i")
		line="$m|$w"
		for b in $STACKS; do
			if [ -z "$booted" ]; then
				v="the guest did not come up: $(grep -o 'ERROR: .*' "$r.boot" | tail -n 1)"
			elif [ "$w" = "$b" ] || [ "$w" = both ] || [ "$w" = none ]; then
				v=$(verdict "$r" "$b")
			else
				v="not loaded by this backend's life"
			fi
			line="$line|$b: $v"
		done
		if [ -n "$booted" ] && grep -q " $m " "$r"; then line="$line|WARNING: loaded all the same"; fi
		echo "$line ($(($(date +%s) - t0)) s)" | tee -a "$OUT/results"
	done
done 3<"$OUT/schedule"
log "done in $(($(date +%s) - start)) s; the table's rows: $OUT/results"
