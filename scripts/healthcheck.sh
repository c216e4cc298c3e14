#!/bin/sh
# Docker's health check of the wrapper: healthy while containerd serves and
# this start's probe (scripts/probe.sh, run by entry.sh) started an inner
# container and reached its published port. The reason is Docker's health
# log (docker inspect).
set -eu
. /scripts/common.sh
containerd_serving || { echo "containerd is not serving; see /var/log/containerd.log"; exit 1; }
status=$(cat "$NDIND_RUN/probe" 2>/dev/null) || { echo "the probe at start has not finished"; exit 1; }
case $status in
ok:*) ;;
*) echo "$status"; exit 1 ;;
esac
