#!/bin/sh
# Entrypoint of the second Docker host (tests/remote/Dockerfile): sshd for
# the key in $AUTHORIZED_KEY, then dockerd in the foreground. Its
# /var/lib/docker and /var/lib/nerdctl-dind are volumes, so nothing here
# stacks overlayfs on overlayfs.
set -eu
log() { printf '%s. >>> %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*"; }

# As toolchain/docker-engine.sh: Docker 20.10 asks runc for every capability
# on --privileged, which fails where the bounding set is short. CAPFILTER=no
# leaves the engine as Debian ships it (a host without the capabilities).
caps_missing() {
	last=$(cat /proc/sys/kernel/cap_last_cap)
	full=$(printf '%x' $(((1 << (last + 1)) - 1)))
	have=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status | sed 's/^0*//')
	[ "$have" != "$full" ]
}

mkdir -p /etc/docker /run/sshd /root/.ssh
if [ "${CAPFILTER:-auto}" != no ] && caps_missing; then
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
log "starting dockerd"
exec dockerd --config-file /etc/docker/daemon.json
