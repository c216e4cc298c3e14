#!/bin/sh
# Run by Pulumi's verify step: fails unless containerd serves nerdctl, then
# prints the image listing as a table and as JSON lines, under markers the
# Pulumi program splits on.
set -eu
. /scripts/common.sh

containerd_serving || die "containerd is not serving; see /var/log/containerd.log"
nerdctl info --format '{{.ServerVersion}}' >/dev/null || die "nerdctl info failed"
echo "### images"
nerdctl images
echo "### json"
nerdctl images --format '{{json .}}'
