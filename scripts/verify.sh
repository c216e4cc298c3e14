#!/bin/sh
# Run by Pulumi's verify step: fails unless containerd serves nerdctl and an
# inner container starts with a published port that answers (probe.sh), then
# prints the probe, the iptables backend, the storage layout and the image listing as a table and
# as JSON lines, under markers the Pulumi program splits on.
set -eu
. /scripts/common.sh

containerd_serving || die "containerd is not serving; see /var/log/containerd.log"
nerdctl info --format '{{.ServerVersion}}' >/dev/null || die "nerdctl info failed"
probe=$(/scripts/probe.sh --record)
echo "### probe"
echo "$probe"
echo "### iptables"
cat "$NDIND_RUN/iptables-backend"
echo "### storage"
/scripts/storage.sh show
echo "### images"
nerdctl images
echo "### json"
nerdctl images --format '{{json .}}'
