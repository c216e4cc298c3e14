# Shared by the host-side toolchain scripts (sourced, not run).
# Everything heavy is cached outside the checkout, keyed by version, so a
# second run on the same machine reuses it.

NDIND_CACHE=${NDIND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nerdctl-dind}
# The project root: the nearest folder above the running script that holds
# Pulumi.yaml. Never inherited, so a script run from another checkout (or at
# another depth) cannot write into the wrong tree.
NDIND_ROOT=$(cd "$(dirname "$0")" && pwd)
until [ -f "$NDIND_ROOT/Pulumi.yaml" ]; do
	[ "$NDIND_ROOT" != / ] || { echo "no Pulumi.yaml above $0" >&2; exit 1; }
	NDIND_ROOT=$(dirname "$NDIND_ROOT")
done
export NDIND_CACHE NDIND_ROOT

log() { printf '%s. >>> %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*"; }
warn() { log "WARNING: $*" >&2; }
die() { log "ERROR: $*" >&2; exit 1; }

# apt-get that waits for another apt run to finish instead of failing at once.
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# The version of an npm dependency as pinned in package.json: the one place
# the Pulumi SDK, the providers' SDKs and their plugins take their versions from.
npm_pin() {
	node -p "require('$NDIND_ROOT/package.json').dependencies['$1']"
}

# A Pulumi.yaml config default, e.g. pulumi_default containerdVersion.
pulumi_default() {
	awk -v key="  $1:" '
		$0 == key { found = 1; next }
		found && /^  [^ ]/ { exit }
		found && $1 == "default:" { print $2; exit }
	' "$NDIND_ROOT/Pulumi.yaml"
}
