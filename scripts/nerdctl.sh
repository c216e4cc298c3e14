#!/bin/sh
# nerdctl with the stack's proxy settings (written by configure.sh): nerdctl
# itself fetches the images, so it needs HTTP_PROXY as much as containerd.
# entry.sh links this into /usr/local/sbin, before the real binary on the PATH.
[ ! -r /etc/nerdctl-dind/proxy.env ] || { set -a; . /etc/nerdctl-dind/proxy.env; set +a; }
exec /usr/local/bin/nerdctl "$@"
