#!/bin/sh
# nerdctl with the stack's proxy settings (written by configure.sh): nerdctl
# itself fetches the images, so it needs HTTP_PROXY as much as containerd.
# A `nerdctl network create` that names no MTU gets the wrapper's, as the
# default network does (entry.sh), whatever global flags come before or
# between the two words (`nerdctl -n default network create`, the form
# nerdctl's own tests and compose use). Silent: it stands in for nerdctl,
# whose output its callers read.
# entry.sh links this into /usr/local/sbin, before the real binary on the PATH.
# NDIND_NERDCTL_BIN and NDIND_RUN_DIR let the unit test put fakes behind it.
set -eu
[ ! -r /etc/nerdctl-dind/proxy.env ] || { set -a; . /etc/nerdctl-dind/proxy.env; set +a; }
real=${NDIND_NERDCTL_BIN:-/usr/local/bin/nerdctl}
mtu_file=${NDIND_RUN_DIR:-/run/nerdctl-dind}/mtu
[ -r "$mtu_file" ] || exec "$real" "$@"

# Where `create` is among the arguments (1-based), if they are `network create`
# after nerdctl's global flags (1.x and 2.x: the string ones take a value, as
# the next argument unless given with = or glued to a short flag); 0 if not.
create_at() {
	i=0 word=0 want=
	for a do
		i=$((i + 1))
		if [ -n "$want" ]; then want= && continue; fi
		case $a in
		--) return 0 ;;
		--address | --host | --namespace | --snapshotter | --storage-driver | --cni-path | --cni-netconfpath | \
			--data-root | --cgroup-manager | --hosts-dir | --host-gateway-ip | --bridge-ip | --cdi-spec-dirs | \
			--userns-remap | --global-dns | --global-dns-opts | --global-dns-search | -a | -H | -n) want=1 ;;
		-*) ;; # --flag=value, -nVALUE, and the bool flags (--debug, --debug-full, --experimental, ...)
		*)
			word=$((word + 1))
			case $word:$a in
			1:network) ;;
			2:create) echo "$i" && return 0 ;;
			*) return 0 ;;
			esac
			;;
		esac
	done
}

# Does `network create` name an MTU itself: -o/--opt with mtu= or
# com.docker.network.driver.mtu=, in each form pflag reads?
names_mtu() {
	next=
	for a do
		if [ -n "$next" ]; then
			next=
			case $a in mtu=* | com.docker.network.driver.mtu=*) return 0 ;; esac
			continue
		fi
		case $a in
		-o | --opt) next=1 ;;
		-omtu=* | -o=mtu=* | --opt=mtu=* | -ocom.docker.network.driver.mtu=* | -o=com.docker.network.driver.mtu=* | \
			--opt=com.docker.network.driver.mtu=*) return 0 ;;
		esac
	done
	return 1
}

at=$(create_at "$@")
[ -n "$at" ] || at=0
if [ "$at" -gt 0 ] && ! names_mtu "$@"; then
	mtu=$(cat "$mtu_file")
	# The same arguments with -o mtu=N right after `create`.
	n=$# i=0
	for a do
		i=$((i + 1))
		set -- "$@" "$a"
		[ "$i" -ne "$at" ] || set -- "$@" -o "mtu=$mtu"
	done
	shift "$n"
fi
exec "$real" "$@"
