#!/bin/sh
# The CNI bridge plugin with the wrapper's MTU as its default. nerdctl
# compose makes its networks by running the nerdctl binary itself
# (os.Executable), past the nerdctl.sh shim, so their configurations name no
# MTU; every bridge network reaches this plugin, so here an ADD whose
# configuration names none gets the wrapper's. The MTU goes first in the JSON
# object: the plugin's decoder keeps the last of two keys, so an "mtu" the
# network names still wins.
# entry.sh puts this in the real plugin's place (/opt/cni/bin/bridge, the real
# one beside it as bridge.real). Silent on success: a plugin's stdout is its
# result and its stderr becomes the caller's error text.
# NDIND_CNI_BRIDGE and NDIND_RUN_DIR let the unit test put fakes behind it.
set -eu
real=${NDIND_CNI_BRIDGE:-/opt/cni/bin/bridge.real}
mtu_file=${NDIND_RUN_DIR:-/run/nerdctl-dind}/mtu
[ "${CNI_COMMAND:-}" = ADD ] && [ -r "$mtu_file" ] || exec "$real" "$@"
mtu=$(cat "$mtu_file")
conf=$(cat)
# Only a configuration that is a JSON object from its first non-blank
# character is touched; anything else goes to the plugin as it came.
case $conf in
*\{*) lead=${conf%%\{*} ;;
*) lead=none ;;
esac
case $lead in
*[![:space:]]*)
	exec "$real" "$@" <<EOF
$conf
EOF
	;;
esac
exec "$real" "$@" <<EOF
{"mtu":$mtu,${conf#*\{}
EOF
