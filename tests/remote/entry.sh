#!/bin/sh
# Entrypoint of the second Docker host (tests/remote/Dockerfile): sshd for
# the key in $AUTHORIZED_KEY, then dockerd in the foreground, also on tcp
# port 2376 with TLS when $TLS_CA, $TLS_CERT and $TLS_KEY hold PEM text. Its
# /var/lib/docker and /var/lib/nerdctl-dind are volumes, so nothing here
# stacks overlayfs on overlayfs.
set -eu
log() { printf '%s. >>> %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*"; }

# As toolchain/docker-engine.sh: Docker 20.10 asks runc for every capability
# on --privileged, which fails where the bounding set is short.
caps_missing() {
	last=$(cat /proc/sys/kernel/cap_last_cap)
	full=$(printf '%x' $(((1 << (last + 1)) - 1)))
	have=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status | sed 's/^0*//')
	[ "$have" != "$full" ]
}

mkdir -p /etc/docker /run/sshd /root/.ssh
if caps_missing; then
	log "capability bounding set is short: dockerd runs runc through runc-capfilter"
	echo '{"runtimes":{"capfilter":{"path":"/usr/local/bin/runc-capfilter"}},"default-runtime":"capfilter"}' >/etc/docker/daemon.json
else
	echo '{}' >/etc/docker/daemon.json
fi

printf '%s\n' "$AUTHORIZED_KEY" >/root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -A
log "starting sshd"
/usr/sbin/sshd -e
set -- -H unix:///var/run/docker.sock
if [ -n "${TLS_KEY:-}" ]; then
	mkdir -p /etc/docker/tls
	printf '%s\n' "$TLS_CA" >/etc/docker/tls/ca.pem
	printf '%s\n' "$TLS_CERT" >/etc/docker/tls/cert.pem
	(umask 077 && printf '%s\n' "$TLS_KEY" >/etc/docker/tls/key.pem)
	set -- "$@" -H tcp://0.0.0.0:2376 --tlsverify --tlscacert /etc/docker/tls/ca.pem \
		--tlscert /etc/docker/tls/cert.pem --tlskey /etc/docker/tls/key.pem
fi
# A smaller MTU, as on cloud and VPN links: the wrapper's eth0 gets it, and
# the tests check that inner containers take it from there.
set -- "$@" --mtu 1400
log "starting dockerd $*"
exec dockerd --config-file /etc/docker/daemon.json "$@"
