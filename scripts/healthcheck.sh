#!/bin/sh
# Docker's health check of the wrapper: healthy while containerd serves.
set -eu
. /scripts/common.sh
containerd_serving
