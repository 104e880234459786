# One image with the `tessera` binary (hub, edge and the CLI) and `tessera-edge` (the sidecar).
# Built and tested where a container engine exists (docs/operations.md); the repository's own CI
# builds the binaries and checks this file's package lists against them, not the image.
#
#   docker build -t tessera .
#   docker run --rm tessera version

# --- build: the Debian 12 packages scripts/bootstrap installs for the build (no test peers) ---
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++-12 cmake ninja-build make git ca-certificates \
      libboost1.81-dev libssl-dev nlohmann-json3-dev libsqlite3-dev libpq-dev \
      libyaml-cpp-dev libspdlog-dev libcli11-dev \
      libhowardhinnant-date-dev libmaxminddb-dev libmimalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_BENCH=OFF \
 && cmake --build --preset release --target tessera tessera-edge \
 && strip -o /tessera build/release/apps/tessera/tessera \
 && strip -o /tessera-edge build/release/apps/tessera/tessera-edge

# --- runtime: only the shared libraries the binaries link (ctest deploy.dockerfile checks the
#     list against them), CA roots and time zones. tessera-edge, the sidecar, needs only glibc. ---
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libsqlite3-0 libpq5 libyaml-cpp0.7 libmimalloc2.0 \
      libmaxminddb0 libdate-tz3 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tessera \
 && useradd --system --uid 10001 --gid tessera --home-dir /var/lib/tessera --create-home \
      --shell /usr/sbin/nologin tessera
COPY --from=build /tessera /tessera-edge /usr/local/bin/
USER 10001:10001
WORKDIR /var/lib/tessera
ENTRYPOINT ["tessera"]
CMD ["--help"]
