# shellcheck shell=sh
# Shared by the host-side toolchain scripts (sourced, not run).
# Everything heavy is cached outside the checkout, keyed by version, so a
# second run on the same machine reuses it.

NDIND_CACHE=${NDIND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nerdctl-dind}
# The project root: the nearest folder above the running script that holds
# Pulumi.yaml. Never inherited, so a script run from another checkout (or at
# another depth) cannot write into the wrong tree.
NDIND_ROOT=$(cd "$(dirname "$0")" && pwd)
until [ -f "$NDIND_ROOT/Pulumi.yaml" ]; do
	[ "$NDIND_ROOT" != / ] || { echo "no Pulumi.yaml above $0" >&2; exit 1; }
	NDIND_ROOT=$(dirname "$NDIND_ROOT")
done
export NDIND_CACHE NDIND_ROOT

# log, warn, die and wait_until: the same on the host and in the wrapper.
. "$NDIND_ROOT/scripts/log.sh"
# For scripts whose stdout is their answer (a path, a key): log to stderr.
say() { log "$@" >&2; }

# apt-get that waits for another apt run to finish instead of failing at once.
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# Command $1, from Debian's package $2 when the machine lacks it.
need() {
	command -v "$1" >/dev/null && return 0
	log "installing $2 from Debian"
	apt_get update -qq
	apt_get install -y -qq "$2" >/dev/null
}

# The version of an npm dependency as pinned in package.json: the one place
# the Pulumi SDK, the providers' SDKs and their plugins take their versions from.
npm_pin() {
	node -p "require('$NDIND_ROOT/package.json').dependencies['$1']"
}

# A Pulumi.yaml config default, e.g. pulumi_default containerdVersion.
pulumi_default() {
	awk -v key="  $1:" '
		$0 == key { found = 1; next }
		found && /^  [^ ]/ { exit }
		found && $1 == "default:" { print $2; exit }
	' "$NDIND_ROOT/Pulumi.yaml"
}

# Is version $1 at or above $2? Numeric, field by field (3.100.0 > 3.99.1); a
# leading "v" and a pre-release or build suffix (-alpha, +dirty) are ignored.
version_ge() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		sub(/^v/, "", a); sub(/[-+].*/, "", a); sub(/^v/, "", b); sub(/[-+].*/, "", b)
		na = split(a, x, "."); nb = split(b, y, ".")
		for (i = 1; i <= (na > nb ? na : nb); i++) {
			if (x[i] + 0 > y[i] + 0) exit 0
			if (x[i] + 0 < y[i] + 0) exit 1
		}
		exit 0
	}'
}

PULUMI_HOME_DIR=${PULUMI_HOME:-$HOME/.pulumi}
# What toolchain/plugins.sh found for this Pulumi home, read by the Makefile.
PLUGINS_STATE=$PULUMI_HOME_DIR/nerdctl-dind-plugins

# The real providers the `pulumi` implementation needs, as "name version"
# lines, at the versions package.json pins their npm SDKs to.
real_plugins() {
	printf 'docker %s\ncommand %s\n' "$(npm_pin @pulumi/docker)" "$(npm_pin @pulumi/command)"
}

# For the lines of real_plugins: the state file's key ("docker-4.11.0
# command-1.2.1") and the words for messages ("docker 4.11.0 and command 1.2.1").
plugins_key() { printf '%s\n' "$1" | awk '{ printf "%s%s-%s", (NR > 1 ? " " : ""), $1, $2 }'; }
plugins_words() { printf '%s\n' "$1" | awk '{ printf "%s%s %s", (NR > 1 ? " and " : ""), $1, $2 }'; }

# Are all of these plugins (real_plugins lines) installed in the Pulumi home,
# as pulumi plugin ls says?
plugins_installed() {
	have=$(pulumi plugin ls 2>/dev/null | awk '$2 == "resource" { print $1, $3 }')
	printf '%s\n' "$1" | while read -r name version; do
		printf '%s\n' "$have" | grep -qx "$name $version" || return 1
	done
}

# A stack's config file: Pulumi keeps it in Pulumi.yaml's stackConfigDir
# (git-ignored: it holds the stack's encryption salt and its secrets), e.g.
# stack_file dev: $NDIND_ROOT/stacks/Pulumi.dev.yaml.
stack_file() {
	printf '%s/%s/Pulumi.%s.yaml\n' "$NDIND_ROOT" \
		"$(awk '$1 == "stackConfigDir:" { print $2 }' "$NDIND_ROOT/Pulumi.yaml")" "${1##*/}"
}

# throwaway_stack PREFIX: a stack of this checkout for one script's run, in
# a state of its own ($WORK/state, the passphrase the one make gives): sets
# STACK (PREFIX-pid), WRAPPER, WORK and PULUMI (the CLI on that stack).
# remove_throwaway_stack [IMAGE...] takes it all down again, with the images
# named; scripts call it from their EXIT trap.
throwaway_stack() {
	STACK=$1-$$
	WRAPPER=nerdctl-dind-$STACK
	WORK=$(mktemp -d)
	mkdir -p "$WORK/state"
	export PULUMI_BACKEND_URL=file://$WORK/state
	PULUMI="pulumi --non-interactive --stack $STACK"
}
remove_throwaway_stack() {
	log "removing the throwaway stack $STACK"
	$PULUMI destroy --yes --skip-preview >/dev/null 2>&1 || :
	docker rm -f "$WRAPPER" >/dev/null 2>&1 || :
	docker rmi "nerdctl-dind:$STACK" "$@" >/dev/null 2>&1 || :
	rm -rf "$NDIND_ROOT/lib/${STACK:?}" "$(stack_file "$STACK")" "$WORK"
}

# The per-user passphrase make gives Pulumi when the user set none (the
# Makefile names the same path); toolchain/passphrase.sh makes it.
NDIND_PASSPHRASE_FILE=${XDG_CONFIG_HOME:-$HOME/.config}/nerdctl-dind/passphrase

# The cache key of the Go module in $1: every file its build reads (tests
# and its out/ folder left aside), names and contents.
go_source_key() {
	(cd "$1" && find . -path ./out -prune -o -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum -o -name VERSION \) -print |
		LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
}

# MODULE@VERSION: go mod download's JSON for that Go module (downloaded once
# into Go's module cache), or Go's error output with status 1. Run outside
# any module, so no go.mod around is read or changed.
go_module_json() { (cd / && GOFLAGS=-mod=mod go mod download -json "$1" 2>&1); }

# JSON FIELD: a string field of go mod download's JSON.
json_field() {
	printf '%s\n' "$1" | sed -n "s/^[[:space:]]*\"$2\": \"\(.*\)\",*\$/\1/p"
}

# SRC DEST: a writable copy of a module's source (Go's module cache is
# read-only) in DEST, made if need be.
copy_writable() {
	mkdir -p "$2"
	cp -R "$1/." "$2/"
	chmod -R u+w "$2"
}

# An architecture as Go and Docker name it: x86_64 -> amd64, aarch64 -> arm64
# (uname -m and docker info say the first, docker version the second).
go_arch() {
	case $1 in
	x86_64 | amd64) echo amd64 ;;
	aarch64 | arm64) echo arm64 ;;
	*) echo "$1" ;;
	esac
}

# The architecture of the engine the docker CLI talks to; this machine's
# when no engine answers.
engine_arch() {
	go_arch "$(docker version --format '{{.Server.Arch}}' 2>/dev/null || uname -m)"
}

# Can this machine run linux/ARCH binaries: its own, or another's through a
# binfmt_misc handler (qemu-user-static registers qemu-aarch64 and the like)?
runs_arch() {
	[ "$(go_arch "$(uname -m)")" = "$1" ] && return 0
	case $1 in amd64) q=x86_64 ;; arm64) q=aarch64 ;; *) return 1 ;; esac
	grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$q" 2>/dev/null
}

# rootfs_archive TAR TAG ARCH CMD [LABELS]: on stdout, the root filesystem
# in TAR as image TAG for linux/ARCH (CMD a JSON array, LABELS a JSON
# object), in the form docker save writes: docker load and nerdctl load take
# it on any engine. load_rootfs gives it to the engine docker talks to. Not
# docker import: it records the engine's own architecture, whatever
# --platform says (Docker 20.10 without experimental features).
rootfs_archive() {
	lw=$(mktemp -d)
	ld=$(sha256sum <"$1" | cut -d' ' -f1)
	mkdir "$lw/$ld"
	ln -s "$1" "$lw/$ld/layer.tar"
	printf '{"architecture":"%s","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Cmd":%s,"Labels":%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$3" "$4" "${5:-{\}}" "$ld" >"$lw/config"
	lc=$(sha256sum <"$lw/config" | cut -d' ' -f1)
	mv "$lw/config" "$lw/$lc.json"
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$lc" "$2" "$ld" >"$lw/manifest.json"
	# -h: the layer goes as the file the link names.
	tar -chf - -C "$lw" manifest.json "$lc.json" "$ld"
	rc=$?
	rm -rf "$lw"
	return $rc
}
load_rootfs() { rootfs_archive "$@" | docker load -q >/dev/null; }
