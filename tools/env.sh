#!/bin/sh
# `make env`: the Makefile's exports as shell lines, so that
#   eval "$(make env)"
# gives a shell the same pulumi, backend, passphrase and switches every make
# verb runs with, and the README's `pulumi ...` lines work by hand. The names
# come from the Makefile itself (its variables, and those of the caller's
# environment), so whatever it exports or unexports next is printed as well.
#   env.sh NAME... -- NAME...
#     before --: variables the Makefile defines; each one this recipe's
#                environment holds is exported by the Makefile: printed
#     after --:  variables make got from the caller; each one missing here
#                was unexported by the Makefile: printed as unset
set -eu

# PATH without repeats (the first of each stays), so evaluating it twice does not grow it.
dedupe() { printf '%s' "$1" | awk -v RS=: -v ORS= '!seen[$0]++ { print (n++ ? ":" : "") $0 }'; }

quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

echo "# the exports of $(cd "$(dirname "$0")/.." && pwd)/Makefile, for pulumi by hand (tools/env.sh)"
defined=1
for name in "$@"; do
	[ "$name" != -- ] || { defined=; continue; }
	case $name in
	MAKE* | GNUMAKEFLAGS | MFLAGS | SHELL) continue ;; # make's own, and the caller's shell
	*[!A-Za-z0-9_]* | [0-9]*) continue ;;             # not a shell name (.DEFAULT_GOAL)
	esac
	set=$(eval "echo \"\${$name+set}\"")
	if [ -n "$defined" ] && [ -n "$set" ]; then
		value=$(eval "printf '%s' \"\$$name\"")
		[ "$name" != PATH ] || value=$(dedupe "$value")
		echo "export $name=$(quote "$value")"
	elif [ -z "$defined" ] && [ -z "$set" ]; then
		echo "unset $name"
	fi
done
