#!/bin/sh
# What any Pulumi cycle costs before it does anything: up + destroy of a
# program with no resources, same CLI, language host and settings. Used by
# bench/run.sh to show how much of the cycle is Pulumi's fixed price.
set -eu
. "$(dirname "$0")/../toolchain/lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n' >"$dir/Pulumi.yaml"
echo 'export const empty = true;' >"$dir/index.ts"
echo '{"name": "empty", "main": "index.ts"}' >"$dir/package.json"
ln -s "$NDIND_ROOT/node_modules" "$dir/node_modules"
mkdir "$dir/state"
export PULUMI_BACKEND_URL="file://$dir/state"
cd "$dir"
pulumi stack init empty --non-interactive >/dev/null
pulumi up --yes --skip-preview --non-interactive >/dev/null
pulumi destroy --yes --skip-preview --non-interactive >/dev/null
