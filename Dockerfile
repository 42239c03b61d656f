# syntax=docker/dockerfile:1
#
# nnserve in a container: built with the Swift 6.3 toolchain, run on Debian 12 slim with only
# the shared libraries the binary loads.
#
#   docker build -t nnserve .
#   docker run -p 8080:8080 -v nnserve-data:/data nnserve
#
# On x86-64 the release build uses AVX2 and FMA (see Package.swift), so the image needs an
# Intel Haswell / AMD Zen or newer CPU. scripts/container-smoke.sh repeats the steps of both
# stages on a host without a container engine.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# The development packages of the system libraries Package.swift links (CSQLite, CLibPQ,
# CZlib); scripts/install-deps.sh installs the same ones for `make build`.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libsqlite3-dev libpq-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Package.swift names the test targets too, so their folders must exist for it to load.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests

# The release configuration that `make build` and CI use (with Package.swift's vector flags),
# limited to the server product. The build folder is a cache mount, so the binary is copied
# out in the same step.
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product nnserve \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/nnserve" /staging/usr/local/bin/nnserve

# The Swift runtime libraries the binary loads, found by ldd at their toolchain path
# (/usr/lib/swift/linux in this image, which is also the binary's RUNPATH) and staged at the
# same path: libswiftCore and the standard library's parts, Dispatch (libdispatch,
# libBlocksRuntime, libswiftDispatch) and Foundation (libFoundation, FoundationEssentials,
# FoundationInternationalization with its ICU copy, lib_FoundationICU). Nothing else from the
# toolchain is needed at run time.
RUN mkdir -p /staging/usr/lib/swift/linux \
 && ldd /staging/usr/local/bin/nnserve \
    | awk '$2 == "=>" && $3 ~ "^/usr/lib/swift/" { print $3 }' \
    | xargs -r cp -L -t /staging/usr/lib/swift/linux/ \
 && test -e /staging/usr/lib/swift/linux/libswiftCore.so

# The runtime's crash reporter: when the process crashes (a bug), it writes a symbolicated
# backtrace of every thread to stderr, i.e. to the container log. The static build of it
# needs no other library.
RUN install -D -m 0755 /usr/libexec/swift/linux/swift-backtrace-static \
      /staging/usr/libexec/swift/linux/swift-backtrace-static

# ---------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Run-time packages, each for a library in `ldd nnserve`:
#   libsqlite3-0          libsqlite3.so.0: the store (CSQLite)
#   libpq5                libpq.so.5: the PostgreSQL store, with NN_DATABASE_URL (CLibPQ); apt
#                         brings what it links with it: libssl3 (TLS to the server), libgssapi-krb5-2,
#                         libkrb5-3, libk5crypto3, libkrb5support0, libcom-err2, libkeyutils1
#                         (Kerberos), libldap-2.5-0, libsasl2-2, libgnutls30, libnettle8, libhogweed6,
#                         libgmp10, libidn2-0, libunistring2, libtasn1-6, libp11-kit0, libffi8 (LDAP
#                         service lookup)
#   zlib1g                libz.so.1: gzip request and response bodies (CZlib)
#   libstdc++6, libgcc-s1 the C++ runtime under libswiftCore and Foundation's ICU
# Left out on purpose: ca-certificates (the server makes no outgoing TLS connections),
# tzdata (every time is UTC, so no zone database is read), libcurl4 and libxml2 (needed only
# by FoundationNetworking and FoundationXML, which nnserve does not load), curl (the health
# check uses bash). Versions are not pinned: the stable suite only receives security fixes,
# and a pin would break the build as soon as one is published.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libpq5 zlib1g libstdc++6 libgcc-s1 \
 && rm -rf /var/lib/apt/lists/*

# A fixed numeric user, so that Kubernetes' runAsNonRoot can check it and volume ownership
# is predictable (chown 10001 on a host directory bind-mounted at /data).
RUN groupadd --system --gid 10001 nnserve \
 && useradd --system --uid 10001 --gid nnserve --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nnserve \
 && install -d -o nnserve -g nnserve -m 0750 /data

COPY --from=build /staging/ /
COPY deploy/healthcheck.sh /usr/local/bin/nnserve-healthcheck
# Served at GET /openapi.yaml.
COPY openapi.yaml /usr/share/nnserve/openapi.yaml

# Fail the image build, not the first start, if a library is missing.
RUN if ldd /usr/local/bin/nnserve | grep 'not found'; then exit 1; fi

ENV NN_HOST=0.0.0.0 \
    NN_PORT=8080 \
    NN_DATA_DIR=/data \
    NN_OPENAPI_PATH=/usr/share/nnserve/openapi.yaml \
    SWIFT_BACKTRACE=enable=yes,interactive=no,swift-backtrace=/usr/libexec/swift/linux/swift-backtrace-static

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# nnserve stops cleanly on SIGTERM: it stops accepting, finishes the requests in flight and
# leaves running jobs to resume from their last checkpoint at the next start. The exec-form
# ENTRYPOINT makes the server PID 1, so the signal reaches it directly.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/nnserve-healthcheck"]
ENTRYPOINT ["/usr/local/bin/nnserve"]
