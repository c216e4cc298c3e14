#!/bin/sh
# Run by the registries step (components/registries.ts) whenever the registry
# or proxy settings change, and on every new wrapper. Reads on stdin the files
# the settings make ("=== file PATH MODE" then its lines) and the endpoints to
# check ("=== check SETTING URL", "=== proxy SETTING URL"). Checks first and
# writes only when every endpoint answers, so a bad setting loses nothing.
# Then writes what changed, removes what an earlier run wrote and is no
# longer wanted, and restarts containerd (and buildkitd) when the proxy
# changed. Never prints a file's content: some hold secrets.
set -eu
. /scripts/common.sh

STATE=/etc/nerdctl-dind
MANAGED=$STATE/managed-files
NEW=$(mktemp -d)
trap 'rm -rf "$NEW"' EXIT

read_config() {
	: >"$NEW/list"
	: >"$NEW/checks"
	out=
	set -f
	while IFS= read -r line; do
		case $line in
		'=== file '*)
			# shellcheck disable=SC2086 # PATH and MODE, split on purpose
			set -- ${line#=== file }
			out=$NEW/files$1
			mkdir -p "$(dirname "$out")"
			: >"$out"
			echo "$1 $2" >>"$NEW/list" ;;
		'=== check '* | '=== proxy '*)
			out=
			echo "${line#=== }" >>"$NEW/checks" ;;
		*) [ -z "$out" ] || printf '%s\n' "$line" >>"$out" ;;
		esac
	done
	set +f
}

redact() { echo "$1" | sed 's#^\([a-z0-9]*://[^:@/]*\):[^@/]*@#\1:***@#'; }

# Any HTTP answer will do (401 from a registry that wants a login too): the
# question is whether the wrapper reaches it, not whether it trusts it.
check_endpoints() {
	while read -r what setting url; do
		if [ "$what" = check ]; then
			err=$(curl -sS -k -o /dev/null --noproxy '*' --max-time 10 "${url%/}/v2/" 2>&1) ||
				die "$setting ($url) is unreachable from the wrapper: ${err#curl: }; fix the URL or start the mirror, then run pulumi up again"
			log "$setting answers ($url)"
		else
			err=$(curl -sS -o /dev/null --noproxy '' --max-time 10 --proxy "$url" http://nerdctl-dind-proxy-check.invalid/ 2>&1) ||
				die "$setting ($(redact "$url")) is unreachable from the wrapper: ${err#curl: }; fix the URL or start the proxy, then run pulumi up again"
			log "$setting answers ($(redact "$url"))"
		fi
	done <"$NEW/checks"
}

listed() { awk -v p="$1" '$1 == p { found = 1 } END { exit !found }' "$2"; }

write_files() {
	changed=
	while read -r path mode; do
		cmp -s "$NEW/files$path" "$path" 2>/dev/null && continue
		mkdir -p "$(dirname "$path")"
		cp "$NEW/files$path" "$path.tmp"
		chmod "$mode" "$path.tmp"
		mv "$path.tmp" "$path"
		log "wrote $path"
		changed="$changed $path"
	done <"$NEW/list"
	if [ -f "$MANAGED" ]; then
		while read -r path _; do
			listed "$path" "$NEW/list" && continue
			rm -f "$path"
			rmdir "$(dirname "$path")" 2>/dev/null || :
			log "removed $path"
			changed="$changed $path"
		done <"$MANAGED"
	fi
	mkdir -p "$STATE"
	cp "$NEW/list" "$MANAGED"
}

trust_ca() {
	case " $changed " in *" /usr/local/share/ca-certificates/"*) ;; *) return 0 ;; esac
	command -v update-ca-certificates >/dev/null || die "registryCA: this image has no update-ca-certificates; install ca-certificates in the base image"
	update-ca-certificates >/dev/null 2>&1
	log "registryCA: system trust store updated"
}

# DAEMON OLD_PID: entry.sh's supervisor runs DAEMON again under a new pid.
restarted() {
	[ "$(cat "$NDIND_RUN/$1.pid")" != "$2" ] && kill -0 "$(cat "$NDIND_RUN/$1.pid")" 2>/dev/null
}

# The daemons read their environment only at start; their supervisors
# (entry.sh) start them again. Inner containers keep running: their shims do
# not depend on containerd.
restart_daemons() {
	case " $changed " in *" $PROXY_ENV "*) ;; *) return 0 ;; esac
	for daemon in containerd buildkitd; do
		[ -f "$NDIND_RUN/$daemon.pid" ] || continue
		old=$(cat "$NDIND_RUN/$daemon.pid")
		kill -TERM "$old"
		wait_until 30 restarted "$daemon" "$old" ||
			die "$daemon did not come back within 30 s; see /var/log/$daemon.log"
		log "proxy settings changed: $daemon restarted (pid $old -> $(cat "$NDIND_RUN/$daemon.pid"))"
	done
	wait_for_containerd 30
}

log "/scripts/configure.sh running"
read_config
check_endpoints
write_files
trust_ca
restart_daemons
log "configure summary: $(grep -c /hosts.toml "$NEW/list" || :) hosts.toml, credentials: $(if listed /root/.docker/config.json "$NEW/list"; then echo yes; else echo no; fi), proxy: $(if listed "$PROXY_ENV" "$NEW/list"; then echo yes; else echo no; fi)"
log "/scripts/configure.sh finished"
