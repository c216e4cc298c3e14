#!/bin/sh
# Image build time: installs what the wrapper's scripts need, and only what is
# missing, so an offline base that already has everything needs no network.
set -eu

have_all() {
	{ command -v xtables-nft-multi || command -v xtables-legacy-multi; } >/dev/null &&
		command -v ip >/dev/null && command -v curl >/dev/null
}

if have_all; then
	echo ">>> base image already has iptables, iproute2 and curl"
elif command -v apk >/dev/null; then
	echo ">>> apk add iptables ip6tables iproute2 curl"
	apk add --no-cache iptables ip6tables iproute2 curl
elif command -v apt-get >/dev/null; then
	echo ">>> apt-get install iptables iproute2 curl"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iptables iproute2 curl ca-certificates
	rm -rf /var/lib/apt/lists/*
else
	echo ">>> no apk or apt-get in the base image, and iptables/iproute2/curl are missing" >&2
	exit 1
fi
have_all || { echo ">>> iptables, ip or curl still missing after install" >&2; exit 1; }
