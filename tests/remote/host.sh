#!/bin/sh
# A second Docker host on this machine, for the remote-engine tests and the
# benchmark: a privileged container (tests/remote/Dockerfile) running its own
# dockerd on volumes of its own and sshd on 127.0.0.1:PORT, reached with a key
# made here. Nothing of this machine's filesystem is shared with it.
#
#   sh tests/remote/host.sh up NAME PORT DIR   start it; DIR gets the key, an
#                                              ssh config, known_hosts and
#                                              bin/ssh (ssh with that config)
#   sh tests/remote/host.sh down NAME          remove it and its volumes
#
# Put DIR/bin first on PATH, then DOCKER_HOST=ssh://root@127.0.0.1:PORT works
# non-interactively; docker's ssh transport runs whatever `ssh` PATH finds.
# TLS_PORT=P also serves the engine on tcp with TLS (--tlsverify) at
# 127.0.0.1:P; DIR/tls gets the client's ca.pem, cert.pem and key.pem.
set -eu
. "$(dirname "$0")/../../toolchain/lib.sh"

BASE_IMAGE=${NDIND_BASE_IMAGE:-nerdctl-dind/base:bookworm}

# The image, tagged by what it is built from, so a later run reuses it.
image() {
	[ -n "$(docker images -q "$BASE_IMAGE")" ] || die "no $BASE_IMAGE (run make toolchain)"
	key=$(cd "$NDIND_ROOT" && { docker image inspect -f '{{.Id}}' "$BASE_IMAGE"; cat tests/remote/Dockerfile tests/remote/entry.sh toolchain/runc-capfilter.sh; } | cksum | cut -d' ' -f1)
	tag=nerdctl-dind/remote-host:$key
	if [ -z "$(docker images -q "$tag")" ]; then
		log "building $tag (Debian's docker.io and openssh-server; first run only)" >&2
		(cd "$NDIND_ROOT" && tar -cf - tests/remote toolchain/runc-capfilter.sh |
			DOCKER_BUILDKIT=0 docker build -q -f tests/remote/Dockerfile --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$tag" - >/dev/null)
	fi
	echo "$tag"
}

# The client side: a key, known_hosts (filled once sshd answers) and an ssh
# that reads only this config, so the user's ~/.ssh is neither read nor changed.
client_files() {
	mkdir -p "$1/bin"
	[ -f "$1/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "ndind-remote-test" -f "$1/id_ed25519"
	cat >"$1/ssh_config" <<CONFIG
Host *
	IdentityFile $1/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $1/known_hosts
	StrictHostKeyChecking yes
CONFIG
	printf '#!/bin/sh\nexec /usr/bin/ssh -F %s/ssh_config "$@"\n' "$1" >"$1/bin/ssh"
	chmod +x "$1/bin/ssh"
}

# A CA, a server certificate for 127.0.0.1 and a client certificate, as
# dockerd --tlsverify and DOCKER_CERT_PATH want them.
tls_files() {
	t=$1/tls
	[ -f "$t/key.pem" ] && return 0
	mkdir -p "$t"
	log "making a CA, a server and a client certificate in $t"
	(
		cd "$t"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ndind-test-ca \
			-keyout ca-key.pem -out ca.pem
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile server.ext -out server-cert.pem
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ndind-test-client -keyout key.pem -out client.csr
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile client.ext -out cert.pem
	) >/dev/null 2>&1 || die "openssl could not make the certificates in $t"
}

# CMD with its output dropped, for wait_until (toolchain/lib.sh).
quiet() { "$@" >/dev/null 2>&1; }

up() {
	name=$1 port=$2 dir=$3
	tag=$(image)
	client_files "$dir"
	tls_publish=
	if [ -n "${TLS_PORT:-}" ]; then
		tls_files "$dir"
		tls_publish="-p 127.0.0.1:$TLS_PORT:2376"
	fi
	docker rm -f "$name" >/dev/null 2>&1 || :
	t0=$(date +%s.%N)
	log "starting second Docker host $name: sshd on 127.0.0.1:$port"
	docker run -d --name "$name" --hostname "$name" --privileged --cgroupns private --init --restart unless-stopped \
		--label nerdctl-dind.remote-host="$name" \
		-p "127.0.0.1:$port:22" $tls_publish \
		-v "$name-docker:/var/lib/docker" -v "$name-data:/var/lib/nerdctl-dind" \
		-e AUTHORIZED_KEY="$(cat "$dir/id_ed25519.pub")" \
		-e TLS_CA="$(cat "$dir/tls/ca.pem" 2>/dev/null)" -e TLS_CERT="$(cat "$dir/tls/server-cert.pem" 2>/dev/null)" \
		-e TLS_KEY="$(cat "$dir/tls/server-key.pem" 2>/dev/null)" \
		"$tag" >/dev/null
	wait_until 30 quiet sh -c "ssh-keyscan -p $port 127.0.0.1 2>/dev/null | grep -q ." ||
		die "sshd of $name does not answer on 127.0.0.1:$port; see docker logs $name"
	ssh-keyscan -p "$port" 127.0.0.1 2>/dev/null >"$dir/known_hosts"
	wait_until 60 quiet env PATH="$dir/bin:$PATH" DOCKER_HOST="ssh://root@127.0.0.1:$port" docker info ||
		die "dockerd of $name does not answer over ssh; see docker logs $name"
	[ -z "${TLS_PORT:-}" ] ||
		wait_until 30 quiet env DOCKER_HOST="tcp://127.0.0.1:$TLS_PORT" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$dir/tls" docker info ||
		die "dockerd of $name does not answer with TLS on 127.0.0.1:$TLS_PORT; see docker logs $name"
	log "second Docker host $name answers over ssh in $(echo "$(date +%s.%N) $t0" | awk '{ printf "%.2f", $1 - $2 }') s (docker run -> docker info)"
}

down() {
	log "removing second Docker host $1 and its volumes"
	docker rm -f "$1" >/dev/null 2>&1 || :
	docker volume rm "$1-docker" "$1-data" >/dev/null 2>&1 || :
}

case ${1:-} in
up) [ $# -eq 4 ] || die "usage: $0 up NAME PORT DIR"; up "$2" "$3" "$4" ;;
down) [ $# -eq 2 ] || die "usage: $0 down NAME"; down "$2" ;;
image) image ;;
*) die "usage: $0 up NAME PORT DIR | down NAME | image" ;;
esac
