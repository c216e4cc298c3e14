#!/bin/sh
# nerdctl with the stack's proxy settings (written by configure.sh): nerdctl
# itself fetches the images, so it needs HTTP_PROXY as much as containerd.
# A `nerdctl network create` that names no MTU gets the wrapper's, as the
# default network does (entry.sh).
# entry.sh links this into /usr/local/sbin, before the real binary on the PATH.
[ ! -r /etc/nerdctl-dind/proxy.env ] || { set -a; . /etc/nerdctl-dind/proxy.env; set +a; }
if [ "${1:-}" = network ] && [ "${2:-}" = create ] && [ -r /run/nerdctl-dind/mtu ]; then
	case " $* " in
	*mtu=*) ;;
	*)
		shift 2
		set -- network create -o "mtu=$(cat /run/nerdctl-dind/mtu)" "$@"
		;;
	esac
fi
exec /usr/local/bin/nerdctl "$@"
