#!/bin/sh
# `make logs STACK=name`: one archive, logs/<stack>-<time>.tar.gz, with
# everything needed to look at a stack's environment elsewhere: the wrapper's
# `docker logs` and `docker inspect`, the wrapper's own logs and state
# (scripts/collect-logs.sh), the stack's outputs and its config with secrets
# left out, then every file scanned for the stack's secret values
# (tools/redact.ts), which are replaced where found. Prints the path.
set -eu
. "$(dirname "$0")/../toolchain/lib.sh"
cd "$NDIND_ROOT"

STACK=${1:?usage: make logs STACK=name}
P="pulumi --non-interactive --stack $STACK"
# Every docker call is bounded: an engine that stopped answering is recorded, not waited on.
DOCKER_TIMEOUT=${NDIND_DOCKER_TIMEOUT:-60}

stamp=$(date -u +%Y%m%d-%H%M%S)
name=$STACK-$stamp
mkdir -p logs
work=$(mktemp -d "$NDIND_ROOT/logs/.$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$work/$name
mkdir -p "$out/wrapper"

log "stack $STACK: outputs and config (pulumi; secrets are not shown)"
$P stack output --json >"$out/stack-outputs.json" 2>&1 || die "pulumi stack output --stack $STACK failed: $(tail -n 1 "$out/stack-outputs.json")"
$P config --json >"$out/stack-config.json" 2>&1 || warn "pulumi config failed: $(tail -n 1 "$out/stack-config.json")"
outputs() { node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(o[process.argv[1]] ?? "")' "$1" <"$out/stack-outputs.json"; }
# The reports of the last up (prepare, registries, verify's probe, the host
# report), one file each, readable as they were printed.
mkdir -p "$out/last-up"
for report in prepareReport registriesReport probe hostReport images nerdctlBuild; do
	outputs "$report" >"$out/last-up/$report.txt"
done
container=$(outputs containerName)
container=${container:-nerdctl-dind-$STACK}
engine=$(outputs dockerEnv)
# shellcheck disable=SC2086 # dockerEnv: VAR=value words, empty for the local engine
d() { env $engine timeout "$DOCKER_TIMEOUT" docker "$@"; }
log "engine: ${engine:-local}; wrapper: $container"

d version >"$out/docker-version.txt" 2>&1 || warn "the engine did not answer docker version (see docker-version.txt)"
d logs --timestamps "$container" >"$out/wrapper/docker-logs.txt" 2>&1 || warn "docker logs $container failed"
d inspect "$container" >"$out/wrapper/docker-inspect.json" 2>&1 || warn "docker inspect $container failed"
state=$(d inspect -f '{{.State.Status}}' "$container" 2>/dev/null) || state=missing
log "wrapper $container: $state"
case $state in
running)
	log "collecting inside the wrapper (scripts/collect-logs.sh)"
	d exec -i "$container" sh -s <scripts/collect-logs.sh 2>"$out/wrapper/collect.log" | tar -C "$out/wrapper" -xf - ||
		warn "scripts/collect-logs.sh failed in $container: $(tail -n 1 "$out/wrapper/collect.log")"
	;;
missing) echo "the wrapper $container does not exist on the ${engine:-local} engine" >"$out/wrapper/MISSING" ;;
*)
	# A stopped wrapper's files are still there: its logs, not its commands.
	log "the wrapper is $state: copying its /var/log (docker cp), nothing runs in it"
	d cp "$container:/var/log" - 2>"$out/wrapper/collect.log" | tar -C "$out/wrapper" -xf - ||
		warn "docker cp of $container's /var/log failed: $(tail -n 1 "$out/wrapper/collect.log")"
	;;
esac

log "scanning every file for the stack's secret values (tools/redact.ts)"
$P config --json --show-secrets >"$work/secrets.json" 2>/dev/null || die "pulumi config --show-secrets failed: the secrets cannot be checked, so no archive is made"
npx ts-node -T tools/redact.ts "$work/secrets.json" "$STACK" "$out"
rm -f "$work/secrets.json"

archive=logs/$name.tar.gz
tar -C "$work" -czf "$archive" "$name"
log "$(tar -tzf "$archive" | grep -vc '/$') files in $archive"
echo "$NDIND_ROOT/$archive"
