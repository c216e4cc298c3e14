#!/bin/sh
# `make stack STACK=name`: selects the stack, creating it when it is new, and
# sees that its config names the plugins that make its resources and the base
# image. Each is chosen once, when the config lacks it, and printed; a value
# the stack has is kept, since new plugins replace every resource and a new
# base rebuilds the image. A stack that names its plugins under the setting's
# old name, provider, has it renamed.
set -eu
. "$(dirname "$0")/lib.sh"
cd "$NDIND_ROOT"

STACK=${1:?usage: stack.sh STACK}
ALPINE=$(pulumi_default baseImage)
OFFLINE_BASE=${NDIND_BASE_IMAGE:-nerdctl-dind/base:alpine-3.23}
# Bounded: without a registry a pull may hang instead of failing.
PULL_TIMEOUT=${NDIND_PULL_TIMEOUT:-60}
P="pulumi --non-interactive --stack $STACK"

case ${PULUMI_BACKEND_URL:-} in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
sh toolchain/stack-file.sh "$STACK"
if pulumi stack select --non-interactive "$STACK" 2>/dev/null; then
	log "stack $STACK: selected"
else
	log "stack $STACK: new, pulumi stack init $STACK"
	pulumi stack init --non-interactive "$STACK"
fi
sh toolchain/passphrase.sh "$STACK"

# The stack's own config, from its file: `pulumi config` would fill in
# Pulumi.yaml's defaults (baseImage alpine:3.23), which say nothing about what
# the stack chose. One line each: plugins (and the old name it is under, if so), baseImage, the hostImages, and
# whether a remote engine is set (yes|no, last: the shell drops trailing
# empty lines).
config=$(node -e '
	const fs = require("fs"), [root, file] = process.argv.slice(1);
	const yaml = require(`${root}/node_modules/js-yaml`);
	const c = (fs.existsSync(file) && (yaml.load(fs.readFileSync(file, "utf8")) || {}).config) || {};
	const v = (k) => c[`nerdctl-dind:${k}`];
	console.log(v("plugins") || (v("provider") ? `${v("provider")} provider` : ""));
	console.log(v("baseImage") || "");
	console.log((Array.isArray(v("hostImages")) ? v("hostImages") : []).join(" "));
	console.log(v("dockerHost") || v("dockerContext") ? "yes" : "no");
' "$NDIND_ROOT" "$(stack_file "$STACK")")
{ read -r plugins old_name; read -r base; read -r host_images; read -r remote; } <<EOF
$config
EOF
if [ -n "$old_name" ]; then
	$P config set plugins "$plugins"
	$P config rm "$old_name"
	log "stack $STACK: setting $old_name renamed plugins (its new name)"
fi

# What the stack's state already holds, for a stack made before these
# settings: by resource type "ndind", "pulumi", "other" (our components only)
# or "-" (nothing yet); then the BASE_IMAGE build argument its image was built
# with, or "-".
made_with() {
	$P stack export | node -e '
		const d = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment || {};
		const rs = (d.resources || []).filter((r) => !r.type.startsWith("pulumi:"));
		const types = rs.map((r) => r.type);
		console.log(types.some((t) => t.startsWith("ndind:")) ? "ndind"
			: types.some((t) => /^(docker|command):/.test(t)) ? "pulumi" : types.length ? "other" : "-");
		const find = (o) => o && typeof o === "object"
			? (typeof o.BASE_IMAGE === "string" ? o.BASE_IMAGE : Object.values(o).map(find).find(Boolean)) : undefined;
		console.log(rs.map((r) => find(r.inputs)).find(Boolean) || "-");
	'
}
state=- built_on=-
if [ -z "$plugins" ] || [ -z "$base" ]; then
	{ read -r state; read -r built_on; } <<EOF
$(made_with)
EOF
fi

if [ -n "$plugins" ]; then
	log "stack $STACK: plugins = $plugins (set earlier)"
else
	real=$(real_plugins)
	pins=$(plugins_words "$real")
	case $state in
	ndind | pulumi)
		plugins=$state
		reason="its state already holds resources of the $state implementation"
		;;
	*)
		sh toolchain/plugins.sh
		if [ "$(cat "$PLUGINS_STATE" 2>/dev/null)" = "$(plugins_key "$real") installed" ]; then
			plugins=pulumi
			reason="the $pins plugins are installed in $PULUMI_HOME_DIR"
		else
			plugins=ndind
			reason="the $pins plugins are not installed in $PULUMI_HOME_DIR and cannot be installed here"
		fi
		;;
	esac
	$P config set plugins "$plugins"
	log "stack $STACK: plugins = $plugins (chosen now: $reason)"
fi

pull() { # IMAGE; its output in $out
	log "docker pull $1 (at most $PULL_TIMEOUT s)"
	timeout "$PULL_TIMEOUT" docker pull -q "$1" >"$out" 2>&1 || {
		[ "$?" != 124 ] || echo "no answer within $PULL_TIMEOUT s" >>"$out"
		return 1
	}
}

if [ -n "$base" ]; then
	log "stack $STACK: baseImage = $base (set earlier)"
else
	out=$(mktemp)
	trap 'rm -f "$out"' EXIT
	if [ "$built_on" != - ]; then
		base=$built_on
		reason="the base its image was built on"
	elif [ "$state" != - ]; then
		base=$ALPINE
		reason="the default: its state holds resources but no image whose base to keep"
	elif docker image inspect "$ALPINE" >/dev/null 2>&1; then
		base=$ALPINE
		reason="the engine has it"
	elif pull "$ALPINE"; then
		base=$ALPINE
		reason="pulled it"
	else
		base=$OFFLINE_BASE
		reason="docker pull $ALPINE failed: $(tail -n 1 "$out"); the offline base, made by make toolchain"
	fi
	$P config set baseImage "$base"
	log "stack $STACK: baseImage = $base (chosen now: $reason)"
fi

# A host image the engine lacks is refused at preview; say here how to mend it.
[ "$remote" = yes ] || for image in $host_images; do
	docker image inspect "$image" >/dev/null 2>&1 && continue
	case $image in
	busybox:ndind) fix="make toolchain makes it (toolchain/base-image.sh)" ;;
	*) fix="docker pull or build it" ;;
	esac
	warn "stack $STACK: hostImages lists $image, which the local engine lacks: $fix," \
		"or drop it from the stack (pulumi config rm --stack $STACK --path 'hostImages[N]')"
done
