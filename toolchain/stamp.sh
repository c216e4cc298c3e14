#!/bin/sh
# `make toolchain` and `make stack` run before every verb; their full scripts
# cost about a second even when they find everything in place. This runs
# such a script only when something it reads or leaves behind has changed
# since its last full run: the fingerprint of those things (the scripts and
# sources it reads, the files and images it makes, the stack's config file
# and selection) is kept as a stamp in $NDIND_CACHE/stamps/ after a run that
# succeeded and changed none of them while it ran. A missing image, an
# edited script, another stack selected, a new passphrase file: another
# fingerprint, and the full script runs.
#   stamp.sh toolchain -- COMMAND...      (make toolchain)
#   stamp.sh stack STACK -- COMMAND...    (make stack)
# NDIND_STAMPS=off runs COMMAND every time.
set -eu
. "$(dirname "$0")/lib.sh"
cd "$NDIND_ROOT"

what=${1:?usage: stamp.sh toolchain|stack STACK -- COMMAND...}
shift
STACK=
[ "$what" = toolchain ] || { STACK=${1:?usage: stamp.sh stack STACK -- COMMAND...}; shift; }
[ "${1:-}" = -- ] || die "usage: stamp.sh toolchain|stack STACK -- COMMAND..."
shift

PROJECT=$(awk '$1 == "name:" { print $2; exit }' Pulumi.yaml)
STAMP=$NDIND_CACHE/stamps/$(printf '%s' "$NDIND_ROOT" | cksum | cut -d' ' -f1)-$what${STACK:+-$(printf '%s' "$STACK" | tr / +)}

# Names, sizes and times of files a run leaves (a missing one says so).
files() { for f in "$@"; do stat -c '%n %s %Y' "$f" 2>&1 || :; done; }
# Contents, by name.
contents() { sha256sum "$@" 2>&1 || :; }

# What the toolchain's steps read and make: npm modules, the passphrase, the
# engine and its offline images, the Pulumi CLI (a user's own on the PATH
# too), our plugin at its version, the docker/command plugins' answer, the
# bundle's folders.
toolchain_fingerprint() {
	for v in NDIND_ROOT NDIND_CACHE PULUMI_HOME PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE_FILE NDIND_BASE_IMAGE DOCKER_HOST DOCKER_CONTEXT; do
		eval "echo \"$v=\${$v:-}\""
	done
	echo "PULUMI_CONFIG_PASSPHRASE ${PULUMI_CONFIG_PASSPHRASE+set}"
	contents package.json package-lock.json Pulumi.yaml scripts/log.sh toolchain/*.sh nerdctl/*.sh
	find nerdctl/patches -type f -exec sha256sum {} + | LC_ALL=C sort
	find provider -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum -o -name VERSION \) \
		-exec sha256sum {} + | LC_ALL=C sort
	find forward -path forward/out -prune -o -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod \) \
		-exec sha256sum {} + | LC_ALL=C sort
	files forward/out/*
	# Rewritten by every run (same words): by content.
	contents "$NDIND_CACHE/pulumi/use" "$NDIND_CACHE/provider/installed" "$PLUGINS_STATE"
	files node_modules/.package-lock.json "${PULUMI_CONFIG_PASSPHRASE_FILE:-$NDIND_PASSPHRASE_FILE}" \
		"$PULUMI_HOME_DIR/plugins/resource-ndind-v$(cat provider/VERSION)/pulumi-resource-ndind" \
		"$NDIND_CACHE"/images/*.tar .state
	# The bundles, but for nerdctl/src's, which each up after an edit rebuilds
	# (make toolchain does not build it).
	for d in nerdctl/out/*; do
		case $d in *-src_*) ;; *) files "$d" ;; esac
	done
	IFS=:
	for dir in $PATH; do
		[ ! -x "$dir/pulumi" ] || files "$dir/pulumi"
	done
	unset IFS
	# One docker call: the engine answers, and has the images make toolchain made.
	docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' \
		--filter 'reference=nerdctl-dind/*' --filter 'reference=busybox:ndind' 2>&1 | LC_ALL=C sort
}

# What make stack reads and writes: the stack's config file (and one from
# before stacks/ beside Pulumi.yaml, or a passphrase move's journal), the
# salts known not to open with the empty passphrase, the stack in a file
# backend, and which stack Pulumi has selected for this project.
stack_fingerprint() {
	for v in NDIND_ROOT PULUMI_HOME PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE_FILE NDIND_BASE_IMAGE; do
		eval "echo \"$v=\${$v:-}\""
	done
	echo "PULUMI_CONFIG_PASSPHRASE ${PULUMI_CONFIG_PASSPHRASE+set}"
	file=$(stack_file "$STACK")
	contents Pulumi.yaml scripts/log.sh toolchain/*.sh "$file" "$file.empty-passphrase" \
		"Pulumi.${STACK##*/}.yaml" "$(dirname "$NDIND_PASSPHRASE_FILE")/salts-not-empty"
	# The stack's state: whether it exists, not its size or time, which every
	# up rewrites. make stack reads the state only for what the stack file
	# lacks (its salt, plugins, baseImage) and then writes that into the file,
	# so a stack file that has them all is read alone.
	case ${PULUMI_BACKEND_URL:-} in
	file://*)
		state=${PULUMI_BACKEND_URL#file://}/.pulumi/stacks/$PROJECT/${STACK##*/}.json
		if [ -f "$state" ]; then echo "state: present"; else echo "state: missing"; fi
		;;
	*) echo "not a file backend: $(date +%s%N)" ;; # never the same: always the full run
	esac
	# Pulumi's record of this project's selected stack (named by Pulumi.yaml's path).
	selected=$PULUMI_HOME_DIR/workspaces/$PROJECT-$(printf '%s' "$NDIND_ROOT/Pulumi.yaml" | sha1sum | cut -c1-40)-workspace.json
	grep -q "\"[^\"]*/${STACK##*/}\"" "$selected" 2>/dev/null && contents "$selected" ||
		echo "$STACK not selected: $(date +%s%N)"
	# A stack that lists hostImages: their IDs on the local engine (one docker
	# call), since make stack warns about one it lacks. While one is missing,
	# or the list is not in the block form read here, make stack runs every
	# time (the warning is the point).
	if grep -q "^ *$PROJECT:hostImages:" "$file" 2>/dev/null; then
		images=$(awk -v key="$PROJECT:hostImages:" '
			$1 == key { on = 1; next }
			on && $1 == "-" { v = $2; gsub(/^["\047]|["\047]$/, "", v); print v; next }
			on { exit }' "$file")
		# shellcheck disable=SC2086 # one image a word: each checked to be a reference
		if [ -z "$images" ] || [ "$images" != "$(printf '%s\n' "$images" | grep -E '^[A-Za-z0-9][A-Za-z0-9._/:@-]*$')" ] ||
			! docker image inspect -f '{{.Id}}' $images 2>/dev/null; then
			echo "hostImages: $(date +%s%N)"
		fi
	fi
}

fingerprint() { "${what}_fingerprint" | sha256sum | cut -c1-64; }

if [ "${NDIND_STAMPS:-}" != off ] && before=$(fingerprint) && [ "$(cat "$STAMP" 2>/dev/null)" = "$before" ]; then
	log "$what${STACK:+ $STACK}: nothing changed since its last run (toolchain/stamp.sh)"
	exit 0
fi
"$@"
# Stamped only when the run changed nothing the fingerprint covers: what
# changed while it ran (its own first changes, or an edit meanwhile) is
# looked at again by the next run, which stamps.
[ "${NDIND_STAMPS:-}" != off ] && [ "$(fingerprint)" = "${before:-}" ] || exit 0
mkdir -p "$(dirname "$STAMP")"
# A name of this run's own: two runs stamping at once must not rename one file.
echo "$before" >"$STAMP.tmp.$$"
mv "$STAMP.tmp.$$" "$STAMP"
