# One image with the `tessera` binary (hub, edge and the CLI). Built and tested where a container
# engine exists (docs/operations.md); the repository's own CI builds the binary, not this image.
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
      libhowardhinnant-date-dev libmaxminddb-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_BENCH=OFF \
 && cmake --build --preset release --target tessera \
 && strip -o /tessera build/release/apps/tessera/tessera

# --- runtime: only the shared libraries the binary links (ldd), CA roots and time zones ---
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libsqlite3-0 libpq5 libyaml-cpp0.7 libspdlog1.10 libfmt9 \
      libmaxminddb0 libdate-tz3 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tessera \
 && useradd --system --uid 10001 --gid tessera --home-dir /var/lib/tessera --create-home \
      --shell /usr/sbin/nologin tessera
COPY --from=build /tessera /usr/local/bin/tessera
USER 10001:10001
WORKDIR /var/lib/tessera
ENTRYPOINT ["tessera"]
CMD ["--help"]
