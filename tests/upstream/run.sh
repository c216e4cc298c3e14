#!/bin/sh
# `make test-upstream [TESTS=regex] [PATCHES=none]` (and make test-upstream-2,
# the same with NERDCTL_VERSION=2.0.0): nerdctl's own integration
# tests (cmd/nerdctl, -test.target=nerdctl), built as upstream's Dockerfile
# builds them (go test -c) from the tree the bundle is built from, run inside
# a throwaway stack of this project. Prints passed / failed / skipped with
# names; exits 1 if any test failed.
#   TESTS     -test.run regex; default: the port-mapping and network tests
#   SKIP      -test.skip regex; default: the tests of the default set that
#             cannot pass on any machine of this kind (printed, with why)
#   PATCHES=none   nerdctl 1.5.0 as released (the stack and the test binary)
#   NERDCTL_VERSION  another release (the stack and the test binaries): 1.x,
#             and 2.x where its tests do not need the test framework the
#             module proxy does not serve (2.0.x; 2.1 and later are refused
#             with the reason). 2.x runs each test package's binary in
#             upstream's two passes, -test.only-flaky=false then =true.
#   UPSTREAM_LOG   where the full log goes; default tests/upstream/last-run-VERSION[-none].log
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../toolchain/lib.sh"
cd "$NDIND_ROOT"
export LC_ALL=C

DEFAULT_TESTS='^(TestRunPort.*|TestUniqueHostPortAssignement|TestRunWithInvalidPortThenCleanUp|TestContainerInspectContainsPortConfig|TestComposePort.*|TestComposeRunWith(ServicePorts|Publish)|TestNetwork.*|TestRun(HostLookup|DNS|ContainerWithStaticIP|ContainerWithMACAddress|InternetConnectivity)|TestSharedNetworkStack)$'
# name: reason. Only what no machine of this kind can do.
DEFAULT_SKIPS='TestRunInternetConnectivity: pings the internet, which no machine here reaches'
TESTS=${TESTS:-$DEFAULT_TESTS}
if [ -z "${SKIP+set}" ]; then
	SKIP=$(printf '%s\n' "$DEFAULT_SKIPS" | sed 's/:.*//' | paste -sd'|')
	SKIP="^($SKIP)\$"
	skip_reasons=$DEFAULT_SKIPS
else
	skip_reasons="$SKIP: excluded by SKIP"
fi
case ${PATCHES:-} in
none) export NERDCTL_PATCHES=none patched=false ;;
"") patched=true ;;
*) die "PATCHES is '$PATCHES': leave it empty (our patches) or give none" ;;
esac

ver=${NERDCTL_VERSION:-$(pulumi_default nerdctlVersion)}
ver=${ver#v}
src=$(sh nerdctl/tree-to-build.sh)
tag=$(sh nerdctl/tree-to-build.sh --tag)
# nerdctl 2.1 and later build their integration tests on their test
# framework, the nested module mod/tigron: module zips leave it out and the Go
# module proxy does not serve it, so they cannot be built. 2.0.x's do not use it.
if grep -rqs --include='*.go' 'containerd/nerdctl/mod/tigron' "$src/cmd" "$src/pkg"; then
	die "nerdctl $ver: its integration tests need github.com/containerd/nerdctl/mod/tigron, which its module zip leaves out and the Go module proxy refuses (403 for its versions, tags and commits); make test-upstream builds those of nerdctl 1.x and 2.0.x (2.0.0 is served; 2.0.1 is not)"
fi
# 1.x keeps every integration test in ./cmd/nerdctl; 2.x in one package per
# command group, of which only those with a test TESTS names are built.
case $ver in
1.*) pkgs=./cmd/nerdctl passes=- ;;
*)
	pkgs=
	for d in "$src"/cmd/nerdctl/*/; do
		sed -n 's/^func \(Test[A-Za-z0-9_]*\)(.*/\1/p' "$d"*_test.go 2>/dev/null | grep -Eq "$TESTS" || continue
		pkgs="$pkgs ./cmd/nerdctl/$(basename "$d")"
	done
	[ -n "$pkgs" ] || die "no test package of nerdctl $ver has a test TESTS ($TESTS) names"
	# As upstream's hack/test-integration.sh: a pass without the tests marked
	# flaky (2.0's "legacy" tests are), then one with only them.
	passes="-test.only-flaky=false,-test.allow-kill-daemon -test.only-flaky=true,-test.allow-kill-daemon"
	;;
esac
# The image names the tests use (pkg/testutil/testutil_linux.go): busybox's
# tag differs between releases.
busybox=$(sed -n 's/^[[:space:]]*BusyboxImage[[:space:]]*=[[:space:]]*"\(.*\)"$/\1/p' "$src/pkg/testutil/testutil_linux.go")
[ -n "$busybox" ] || die "no BusyboxImage in $src/pkg/testutil/testutil_linux.go"

throwaway_stack upstream
REGISTRY=$WRAPPER-registry
cleanup() {
	docker rm -f -v "$REGISTRY" >/dev/null 2>&1 || :
	remove_throwaway_stack "ndind-standin/nginx:$$" "ndind-standin/alpine:$$"
}
trap cleanup EXIT

# 1. The test binaries, from the tree the bundle is built from, as upstream's
#    Dockerfile does (go test -c of each package).
dir=$NDIND_CACHE/build/nerdctl-test-$ver-$tag
mkdir -p "$dir"
bins=
for pkg in $pkgs; do
	bin=$dir/$(basename "$pkg").test
	if [ ! -x "$bin" ]; then
		log "building nerdctl's integration tests (go test -c $pkg) in $src"
		t0=$(date +%s)
		(cd "$src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath -buildvcs=false" \
			nice -n 10 go test -c -o "$bin.tmp" "$pkg") && mv "$bin.tmp" "$bin"
		log "  built in $(($(date +%s) - t0)) s"
	fi
	log "test binary: $bin ($tag)"
	bins="$bins $(basename "$bin")"
done
# The compose run tests run `unbuffer nerdctl compose run ...` for the
# terminal `nerdctl run -t` needs: expect's unbuffer, which the wrapper does
# not hold, stood in by ours (unbuffer/, standard library only), static so
# that it runs on either base; cached by the hash of its source.
key=$(go_source_key "$here/unbuffer")
unbuffer=$NDIND_CACHE/build/unbuffer-$key/unbuffer
if [ ! -x "$unbuffer" ]; then
	log "building the unbuffer stand-in (tests/upstream/unbuffer, $key)"
	mkdir -p "$(dirname "$unbuffer")"
	(cd "$here/unbuffer" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" -o "$unbuffer.tmp" .) &&
		mv "$unbuffer.tmp" "$unbuffer"
fi

# 2. Where the images the tests name (pkg/testutil/testutil_linux.go, all on
#    ghcr.io) come from: ghcr.io when it answers; else a registry of this run
#    (Debian's docker-registry, toolchain/registry-image.sh) on the Docker
#    bridge, made ghcr.io's only endpoint in the wrapper by the stack's own
#    registryMirrors setting. Either way every pull is a real pull, in any
#    namespace (2.x's TestNetworkPrune pulls into one of its own). The
#    registry must answer before pulumi up: configure.sh checks the mirror.
pulumi stack init "$STACK" >/dev/null
if curl -s -o /dev/null --max-time 10 https://ghcr.io/v2/; then
	mirror=
	log "ghcr.io answers: the tests pull the real images"
else
	sh toolchain/registry-image.sh
	log "ghcr.io does not answer: starting $REGISTRY, ghcr.io's mirror in the wrapper, for the stand-ins"
	docker run -d --name "$REGISTRY" nerdctl-dind/registry:bookworm >/dev/null
	mirror=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$REGISTRY"):5000
	wait_until 30 curl -sf -o /dev/null "http://$mirror/v2/" ||
		die "$REGISTRY does not answer on $mirror after 30 s: $(docker logs --tail 5 "$REGISTRY" 2>&1)"
	$PULUMI config set --path 'registryMirrors["ghcr.io"].endpoints[0]' "http://$mirror"
	$PULUMI config set --path 'registryMirrors["ghcr.io"].fallback' false
fi

# 3. The throwaway stack.
$PULUMI config set baseImage nerdctl-dind/base:bookworm
$PULUMI config set plugins "${PROVIDER:-ndind}"
$PULUMI config set nerdctlPatches "$patched"
$PULUMI config set nerdctlVersion "${ver#v}"
$PULUMI config set --type string --path 'preload[0]' "$NDIND_CACHE/images/busybox.tar"
log "pulumi up of $STACK (nerdctl patches: $patched)"
$PULUMI up --yes --skip-preview >"$WORK/up.log" 2>&1 || { tail -n 30 "$WORK/up.log" >&2; die "pulumi up of $STACK failed"; }
in_wrapper() { docker exec "$WRAPPER" "$@"; }

# 4. Without ghcr.io, the stand-ins, made offline from busybox:ndind, are
#    pushed into the run's registry under the names the tests pull, from a
#    namespace of their own (ndind-standins), which goes afterwards.
NS="nerdctl -n nerdctl-test"
# NAME STAND-IN WHAT: the names the tests pull, and what stands in for each.
standins="$busybox busybox:ndind BusyboxImage: busybox, as upstream's
ghcr.io/stargz-containers/alpine:3.13-org ndind-standin/alpine:$$ AlpineImage/CommonImage: busybox with Alpine's folders, users and groups, no apk
ghcr.io/stargz-containers/nginx:1.19-alpine-org ndind-standin/nginx:$$ NginxAlpineImage: busybox httpd on port 80 serving nginx's welcome title"
if [ -n "$mirror" ]; then
	for standin in nginx alpine; do
		DOCKER_BUILDKIT=0 docker build -q -t ndind-standin/$standin:$$ - <"$here/$standin-standin.dockerfile" >/dev/null
	done
	docker save busybox:ndind ndind-standin/nginx:$$ ndind-standin/alpine:$$ | docker exec -i "$WRAPPER" nerdctl -n ndind-standins load >/dev/null
	printf '%s\n' "$standins" | while read -r name from what; do
		in_wrapper nerdctl -n ndind-standins tag "$from" "$mirror/${name#ghcr.io/}"
		in_wrapper nerdctl -n ndind-standins --insecure-registry push -q "$mirror/${name#ghcr.io/}" >"$WORK/push.log" 2>&1 ||
			{ cat "$WORK/push.log" >&2; die "pushing $name's stand-in to $mirror failed"; }
		log "  $name <- $from ($what), pushed to $mirror"
	done
	# The pushed images go, blobs too (containerd shares a blob with every
	# namespace that asks for it), so the tests' pulls fetch from the registry
	# what the wrapper does not already hold (busybox:ndind is preloaded).
	in_wrapper nerdctl -n ndind-standins image prune -a -f >/dev/null
	wait_until 30 in_wrapper nerdctl namespace remove ndind-standins >/dev/null 2>&1 ||
		die "the namespace ndind-standins still holds something: $(in_wrapper nerdctl namespace remove ndind-standins 2>&1)"
	log "  no stand-in (tests that need them fail, classified \"needs a registry image\"): registry:2, wordpress, mariadb, docker_auth, fluentd, kubo, non-dist-blob, eStargz and SOCI images"
fi
# Tests that remove or prune images take them with them: each is pulled
# again, when missing, before each test.
printf '%s\n' "$standins" | while read -r name _; do
	echo "[ -n \"\$($NS images -q $name)\" ] || $NS pull -q $name >/dev/null"
done >"$WORK/standins.sh"
docker cp "$WORK/standins.sh" "$WRAPPER:/tmp/standins.sh"
# As upstream's test image: tini also as tini-custom (TestRunWithInit), and a
# buildkitd of the tests' own namespace beside the default one.
in_wrapper cp /usr/local/bin/tini /usr/local/bin/tini-custom
if in_wrapper sh -c 'command -v buildkitd' >/dev/null; then
	snap=$(in_wrapper sed -n 's/^snapshotter = "\(.*\)"/\1/p' /etc/nerdctl/nerdctl.toml)
	docker exec -d "$WRAPPER" sh -c "mkdir -p /run/buildkit-nerdctl-test && exec buildkitd --oci-worker=false --containerd-worker=true \
		--containerd-worker-namespace=nerdctl-test --containerd-worker-snapshotter=$snap \
		--addr unix:///run/buildkit-nerdctl-test/buildkitd.sock --root /var/lib/buildkit-nerdctl-test \
		>/var/log/buildkitd-nerdctl-test.log 2>&1"
fi

# 5. The tests, inside the wrapper, one process each (after the stand-ins are
#    back). A failed assertion prints its source line, which gotest.tools reads
#    from the module-relative path -trimpath leaves: the tree goes beside.
for b in $bins; do docker cp "$dir/$b" "$WRAPPER:/usr/local/bin/$b"; done
docker cp "$unbuffer" "$WRAPPER:/usr/local/bin/unbuffer"
log "unbuffer: $unbuffer (a pseudo-terminal runner of ours, in this wrapper only)"
modpath=$(sed -n 's/^module //p' "$src/go.mod")
in_wrapper mkdir -p "/tmp/upstream/$(dirname "$modpath")"
docker cp "$src" "$WRAPPER:/tmp/upstream/$modpath"
log "running: -test.run '$TESTS'${SKIP:+ -test.skip '$SKIP'} in$bins$([ "$passes" = - ] || echo ", passes: $passes")"
[ -z "$SKIP" ] || printf '%s\n' "$skip_reasons" | sed 's/^/  excluded: /'
out=${UPSTREAM_LOG:-$NDIND_ROOT/tests/upstream/last-run-$ver${PATCHES:+-$PATCHES}.log}
rc=0
# A test that fails runs once more: on a loaded machine some lose a
# short-lived container's output (seen: TestRunContainerWithMACAddress got ""
# while a qemu guest loaded the machine; alone it passed). Both runs
# stay in the log and the summary names the test flaky; a second failure fails.
in_wrapper sh -c 'cd /tmp/upstream
	rc=0
	for bin in $3; do
		$bin -test.list "$1" | grep "^Test" | { [ -z "$2" ] && cat || grep -Ev "$2"; } >/tmp/tests.list
		for pass in $4; do
			flags=$(echo "$pass" | tr , " ")
			[ "$flags" != - ] || flags=
			echo "=== NDIND $bin $flags"
			while read -r t; do
				sh /tmp/standins.sh
				$bin -test.target=nerdctl -test.v -test.timeout=10m $flags -test.run "^$t\$" </dev/null && continue
				echo "=== RETRY $t"
				sh /tmp/standins.sh
				$bin -test.target=nerdctl -test.v -test.timeout=10m $flags -test.run "^$t\$" </dev/null || rc=1
			done </tmp/tests.list
		done
	done
	exit $rc' sh "$TESTS" "$SKIP" "$bins" "$passes" >"$out" 2>&1 || rc=$?

# 6. The summary, top-level tests only.
for result in PASS FAIL SKIP; do
	sed -n "s/^--- $result: \([^ ]*\) .*/\1/p" "$out" | sort -u >"$WORK/$result"
done
# Failed, then passed when run again: flaky, not failed.
comm -12 "$WORK/FAIL" "$WORK/PASS" >"$WORK/FLAKY"
comm -23 "$WORK/FAIL" "$WORK/PASS" >"$WORK/FAIL.left" && mv "$WORK/FAIL.left" "$WORK/FAIL"
# With two passes each test runs in one and is skipped in the other: skipped
# means skipped in every pass.
sort -u "$WORK/PASS" "$WORK/FAIL" >"$WORK/RAN"
comm -23 "$WORK/SKIP" "$WORK/RAN" >"$WORK/SKIP.left" && mv "$WORK/SKIP.left" "$WORK/SKIP"
# What the run's registry served the wrapper's pulls of ghcr.io images
# (containerd adds ?ns=ghcr.io when it asks a mirror): proof that they went
# through it.
if [ -n "$mirror" ]; then
	docker logs "$REGISTRY" >"$WORK/registry.log" 2>&1
	served() { grep -c "\"$1 /v2/[^ ]*/$2/[^ ]*?ns=ghcr.io HTTP/1.1\" 200" "$WORK/registry.log" || :; }
	log "$REGISTRY served the pulls of ghcr.io images: $(served HEAD manifests) manifest lookups, $(served GET manifests) manifests and $(served GET blobs) blobs sent"
fi
log "nerdctl $ver integration tests, $([ "$tag" = unpatched ] && echo "release as released" || echo "patched build ($tag)"); full log: $out"
for result in PASS FLAKY FAIL SKIP; do
	[ -s "$WORK/$result" ] || continue
	echo "$result:"
	sed 's/^/  /' "$WORK/$result"
done
passed=$(wc -l <"$WORK/PASS") failed=$(wc -l <"$WORK/FAIL") skipped=$(wc -l <"$WORK/SKIP") flaky=$(wc -l <"$WORK/FLAKY")
[ $((passed + failed + skipped)) -gt 0 ] || { tail -n 20 "$out" >&2; die "no test ran (exit $rc)"; }
# A crash or timeout that left no "--- FAIL" line still fails the run.
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || { tail -n 20 "$out" >&2; failed=$((failed + 1)); echo "the test binary exited $rc without a FAIL line"; }
# Skips are findings: each with the reason it gave; one that passed in the
# reference list fails the run.
sh "$here/skips.sh" "$out" "$here/reference-pass.txt" "$WORK/RAN" || failed=$((failed + 1))
echo "upstream: $passed passed ($flaky of them on a second run), $failed failed, $skipped skipped"
[ "$failed" = 0 ]
