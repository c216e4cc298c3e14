# The wrapper image: a base (Alpine or Debian family; make stack picks one per
# stack), the pinned bundle built by nerdctl/build.sh, and scripts/. The
# bundle brings every tool the scripts run beyond a shell and its utilities
# (iptables of both backends, nft, conntrack, ip, curl), so nothing is
# installed here and the build needs no network.
ARG BASE_IMAGE=alpine:3.23
FROM ${BASE_IMAGE}
ARG BUNDLE
COPY nerdctl/out/${BUNDLE}/ /
COPY scripts/ /scripts/
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/scripts/entry.sh"]
