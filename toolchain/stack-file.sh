#!/bin/sh
# `make stack STACK=name`, before the stack is selected or made: its config
# file goes where Pulumi reads it, stacks/Pulumi.<stack>.yaml (stack_file),
# git-ignored since it holds the stack's encryption salt and secrets.
# - dev starts as a copy of the committed Pulumi.dev.yaml, which holds only
#   what every machine shares (no salt, no secret);
# - any other stack's Pulumi.<stack>.yaml beside Pulumi.yaml, where stack
#   files lived before stacks/, is moved.
set -eu
. "$(dirname "$0")/lib.sh"
cd "$NDIND_ROOT"

STACK=${1:?usage: stack-file.sh STACK}
file=$(stack_file "$STACK")
before=$NDIND_ROOT/Pulumi.${STACK##*/}.yaml

[ -f "$before" ] || exit 0
if [ -f "$file" ]; then
	[ "${STACK##*/}" = dev ] ||
		warn "stack $STACK: Pulumi is reading ${file#"$NDIND_ROOT"/}; ${before#"$NDIND_ROOT"/} beside Pulumi.yaml is no longer read (merge what you need, then remove it)"
	exit 0
fi
mkdir -p "$(dirname "$file")"
if [ "${STACK##*/}" = dev ]; then
	cp "$before" "$file.new"
	mv "$file.new" "$file"
	log "stack $STACK: its config file ${file#"$NDIND_ROOT"/} made from Pulumi.dev.yaml"
else
	mv "$before" "$file"
	log "stack $STACK: its config file moved to ${file#"$NDIND_ROOT"/} (stack files live there now, git-ignored)"
fi
