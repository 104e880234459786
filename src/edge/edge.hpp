// Edge: one `tessera edge` process — the hub grant source and its evidence, the route table it
// refreshes from the hub, the explicit proxy (with TLS decrypt when a CA is configured), the
// PostgreSQL listeners, the cloud-SDK metadata endpoints, and /healthz + /metrics. Built from an
// EdgeConfig by `tessera edge` and `tessera dev`; tests run it in-process too.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "edge/edge_config.hpp"

namespace tessera::edge {

class Edge {
 public:
  // Reads the edge token, loads or makes the CA, builds every part. Nothing listens yet.
  static Result<std::unique_ptr<Edge>> create(EdgeConfig config,
                                              const Clock& clock = SystemClock::instance());
  ~Edge();
  Edge(const Edge&) = delete;
  Edge& operator=(const Edge&) = delete;

  // Binds every listener, fetches the routes once (a hub that is down is logged; the edge keeps
  // trying and tunnels untouched meanwhile) and starts the threads.
  Result<void> start();
  void stop();
  // Blocks until SIGTERM/SIGINT, then stops.
  int runUntilSignal();

  std::uint16_t proxyPort() const;
  std::uint16_t adminPort() const;
  std::uint16_t metadataPort() const;
  std::vector<std::uint16_t> postgresPorts() const;
  // PEM of the edge CA (what workloads must trust), "" without TLS decrypt.
  std::string caCertificatePem() const;

  struct Impl;

 private:
  explicit Edge(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::edge
