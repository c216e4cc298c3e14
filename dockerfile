# The wrapper image: a base (Alpine 3.18 by default; the tests pass an offline
# Debian base), the pinned bundle built by nerdctl/build.sh, and scripts/.
ARG BASE_IMAGE=alpine:3.18
FROM ${BASE_IMAGE}
COPY scripts/install-packages.sh /scripts/install-packages.sh
RUN /scripts/install-packages.sh
ARG BUNDLE
COPY nerdctl/out/${BUNDLE}/ /
COPY scripts/ /scripts/
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/scripts/entry.sh"]
