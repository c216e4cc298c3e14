# shellcheck shell=sh
# Sourced by nerdctl/build.sh: the Debian build container, so that what needs
# Debian's packages (apt-get download, dpkg-deb, patchelf, a C compiler and
# libseccomp for runc's cgo part) runs in a container, and the host that
# builds the bundle needs Docker, Go and Node, not apt-get.
#   build_image        the image's tag; made when missing (one docker build)
#   in_debian DIR CMD...  runs CMD in it, with this checkout, the cache and
#                      Go's folders at their own paths, as root; on a host
#                      where the user is not root, DIR (what CMD writes) is
#                      handed back to the user
# The image is made from debian:bookworm where a registry answers, else from
# the offline nerdctl-dind/base:bookworm (toolchain/base-image.sh), with apt
# pointed at the Debian mirror this host uses (its sources lists), if it has
# any. It holds the compilers and libseccomp for amd64 and arm64, whichever
# the engine runs natively, so either bundle is built on either machine.

DEBIAN_SUITE=bookworm
# What the steps run in it: patchelf, readelf and perl relocate the tools
# (tools.sh); file checks every binary; gcc, pkg-config and libseccomp build
# runc. The cross parts are added for the architecture the engine lacks.
DEBIAN_PACKAGES="ca-certificates file patchelf binutils perl pkg-config gcc libc6-dev libseccomp-dev"

# The host's own Debian sources: one-line entries and deb822 paragraphs whose
# URIs are a Debian archive (other vendors' repositories stay out).
host_debian_sources() { # DIR: writes DIR/host.list and DIR/host.sources
	: >"$1/host.list"
	: >"$1/host.sources"
	[ -f /etc/apt/sources.list ] && grep -E '^deb .*/debian(-security)?/? ' /etc/apt/sources.list >>"$1/host.list" || :
	for f in /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && grep -E '^deb .*/debian(-security)?/? ' "$f" >>"$1/host.list" || :
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; ORS = "\n\n" } /URIs:[^\n]*\/debian(-security)?\/?(\n|$| )/' "$f" >>"$1/host.sources"
	done
}

build_dockerfile() { # FROM
	cat <<-EOF
		FROM $1
		COPY host.list host.sources /tmp/apt/
		# The host's mirror, where it has one; else the base image's own list.
		RUN if [ -s /tmp/apt/host.list ] || [ -s /tmp/apt/host.sources ]; then \\
		      rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; \\
		      cp /tmp/apt/host.list /etc/apt/sources.list.d/host.list; \\
		      cp /tmp/apt/host.sources /etc/apt/sources.list.d/host.sources; \\
		    fi; \\
		    case \$(dpkg --print-architecture) in \\
		    amd64) other=arm64 cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;; \\
		    arm64) other=amd64 cross="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;; \\
		    *) echo "no cross compilers for \$(dpkg --print-architecture)" >&2; exit 1 ;; \\
		    esac; \\
		    dpkg --add-architecture \$other && apt-get update -q && \\
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \\
		      $DEBIAN_PACKAGES \$cross libseccomp-dev:\$other && \\
		    rm -rf /var/cache/apt/archives/*.deb
	EOF
}

# The image's tag names what it is made from, so a change makes a new one.
build_image() {
	tmp=$(mktemp -d)
	host_debian_sources "$tmp"
	from=debian:$DEBIAN_SUITE
	if ! docker image inspect "$from" >/dev/null 2>&1; then
		# A registry that does not answer fails fast; one that hangs is cut off.
		timeout 60 docker pull -q "$from" >/dev/null 2>&1 || from=nerdctl-dind/base:$DEBIAN_SUITE
	fi
	build_dockerfile "$from" >"$tmp/Dockerfile"
	tag=nerdctl-dind/build:$DEBIAN_SUITE-$(cat "$tmp/Dockerfile" "$tmp/host.list" "$tmp/host.sources" | cksum | cut -d' ' -f1)
	if ! docker image inspect "$tag" >/dev/null 2>&1; then
		docker image inspect "$from" >/dev/null 2>&1 ||
			die "no $from to make the Debian build container from: run make toolchain (it makes $from) or let docker pull debian:$DEBIAN_SUITE"
		say "making the Debian build container $tag from $from (apt-get in the container)"
		t0=$(date +%s)
		DOCKER_BUILDKIT=0 docker build -q --network host -t "$tag" "$tmp" >&2 ||
			{ rm -rf "$tmp" && die "docker build of $tag failed"; }
		say "made $tag in $(($(date +%s) - t0))s"
	fi
	rm -rf "$tmp"
	echo "$tag"
}

# Go's own folders, so runc's cgo build in the container uses the host's Go,
# its module cache and its build cache (a Linux host's Go: a Mac's is not a
# Linux binary, which is left for later). The container asks no module
# proxy: the host downloads the modules first (its network, its CAs).
go_mounts() {
	for v in GOROOT GOMODCACHE GOCACHE; do
		d=$(go env "$v")
		mkdir -p "$d"
		printf -- '-v %s:%s ' "$d" "$d"
	done
}

in_debian() { # DIR CMD...
	[ -n "${BUILD_IMAGE:-}" ] || BUILD_IMAGE=$(build_image)
	uid=$(id -u) gid=$(id -g) owned=$1
	shift
	# shellcheck disable=SC2046 # go_mounts gives words on purpose
	docker run --rm --network host \
		-v "$NDIND_ROOT:$NDIND_ROOT:ro" -v "$NDIND_CACHE:$NDIND_CACHE" $(go_mounts) \
		-e NDIND_CACHE -e NDIND_ARCH="$ARCH" -e RUNS_HERE -e GOOS -e GOARCH -e GOFLAGS -e GOTOOLCHAIN=local \
		-e GOPROXY=off -e GOSUMDB=off -e HOME=/root -e PATH="$(go env GOROOT)/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		-e HOST_UID="$uid" -e HOST_GID="$gid" -e OWNED="$owned" \
		-w "$NDIND_ROOT" "$BUILD_IMAGE" sh -c '"$@"; rc=$?
			[ "$HOST_UID" = 0 ] || chown -R "$HOST_UID:$HOST_GID" "$OWNED"
			exit $rc' sh "$@"
}
