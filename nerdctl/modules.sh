# shellcheck shell=sh
# Sourced by build.sh, tree-to-build.sh and checkout-src.sh (after toolchain/lib.sh): where
# each component of the bundle lives as a Go module for a given release, and
# what the module proxy says about that release.

# COMPONENT VERSION: the module path of that release. From major 2 on, Go
# puts the major in the path: nerdctl 2.1.3 is github.com/containerd/nerdctl/v2.
module_path() {
	case $1 in
	containerd) mp=github.com/containerd/containerd ;;
	nerdctl) mp=github.com/containerd/nerdctl ;;
	runc) mp=github.com/opencontainers/runc ;;
	cni) mp=github.com/containernetworking/plugins ;;
	buildkit) mp=github.com/moby/buildkit ;;
	*) die "module_path: no component $1" ;;
	esac
	major=${2%%.*}
	if [ "$major" -ge 2 ]; then echo "$mp/v$major"; else echo "$mp"; fi
}

# COMPONENT: the setting that names its version, for messages.
module_setting() {
	case $1 in
	containerd) echo "containerdVersion (CONTAINERD_VERSION)" ;;
	nerdctl) echo "nerdctlVersion (NERDCTL_VERSION)" ;;
	runc) echo "runcVersion (RUNC_VERSION)" ;;
	cni) echo "cniPluginsVersion (CNI_PLUGINS_VERSION)" ;;
	buildkit) echo "BUILDKIT_VERSION (default: what the nerdctl release's Dockerfile pins)" ;;
	esac
}

# GO_STDERR: the proxy's refusal in it ("403 Forbidden (This module version is
# not available.)"), empty when the failure was something else (no network).
refusal_reason() {
	printf '%s\n' "$1" | awk '
		/: (403|404|410) / { sub(/.*: (reading|verifying) [^ ]*: /, ""); r = $0; next }
		r && /server response:/ { sub(/.*server response: */, ""); r = r " (" $0 ")"; next }
		/unknown revision|invalid version|no matching versions/ && !r { sub(/^go: /, ""); r = $0 }
		END { print r }'
}

# Refusals are final on the proxy's side, so each is remembered: a preview
# of a refused version does not wait on the network again.
refused_file() { echo "$NDIND_CACHE/modules/refused/$(echo "$1@v$2" | tr / +)"; }

# COMPONENT VERSION: empty when the module proxy serves that release (its
# .info, cached by Go once fetched), else one line saying who refused what.
# Bounded: a proxy that does not answer in time is not a refusal.
module_problem() {
	m=$(module_path "$1" "$2")
	f=$(refused_file "$m" "$2")
	if [ -f "$f" ]; then
		echo "$(module_setting "$1") is $2: the Go module proxy ($(go env GOPROXY)) refused $m@v$2: $(cat "$f"); pick a release it serves (go list -m -versions $m lists the ones it knows)"
		return 0
	fi
	# Go's own record of a release it fetched, which go list would read, read
	# without starting Go (five releases a preview, about 10 ms each).
	[ ! -f "$(module_cache)/cache/download/$m/@v/v$2.info" ] || return 0
	if err=$(cd / && GOFLAGS=-mod=mod timeout "${NDIND_PROXY_TIMEOUT:-60}" go list -m -json "$m@v$2" 2>&1 >/dev/null); then
		return 0
	fi
	reason=$(refusal_reason "$err")
	if [ -z "$reason" ]; then
		warn "could not ask the Go module proxy about $m@v$2 (the build will): $(printf '%s\n' "$err" | tail -n 1)"
		return 0
	fi
	mkdir -p "$(dirname "$f")"
	printf '%s\n' "$reason" >"$f"
	module_problem "$1" "$2"
}

# COMPONENT VERSION: go mod download's JSON for that release (downloaded
# once); a refusal dies with module_problem's words.
module_json() {
	m=$(module_path "$1" "$2")
	json=$(go_module_json "$m@v$2") || {
		problem=$(module_problem "$1" "$2")
		[ -n "$problem" ] || problem=$(json_field "$json" Error)
		die "go mod download $m@v$2 failed: ${problem:-$json}"
	}
	printf '%s\n' "$json"
}

# Go's module cache, asked of Go once per script (exported, so once for the
# scripts it runs too). Module paths are the lower-case ones of module_path,
# which the cache spells as they are.
module_cache() {
	[ -n "${GOMODCACHE:-}" ] || { GOMODCACHE=$(go env GOMODCACHE) && export GOMODCACHE; }
	echo "$GOMODCACHE"
}

# COMPONENT VERSION: the read-only module source of that release: its folder
# in the module cache when Go finished extracting it (no .partial beside
# it), else from go mod download.
module_dir() {
	dir=$(module_cache)/$(module_path "$1" "$2")@v$2
	if [ -d "$dir" ] && [ ! -e "$dir.partial" ]; then
		echo "$dir"
		return
	fi
	json=$(module_json "$1" "$2")
	dir=$(json_field "$json" Dir)
	[ -d "$dir" ] || die "no module directory in: $json"
	echo "$dir"
}

# NERDCTL_DIR NAME: the version nerdctl's own Dockerfile pins for NAME
# (ARG NAME_VERSION=v0.23.2@BINARY), without "v" and "@...".
release_pin() {
	sed -n "s/^ARG $2=v\{0,1\}\([^@[:space:]]*\).*/\1/p" "$1/Dockerfile" 2>/dev/null | head -n 1
}
