// RouteTable: the server workloads an edge steers to, from the hub's GET /v1/edge/routes — which
// host:port pairs the edge decrypts and injects into, how it reaches the server (TLS, CA bundle,
// server name) and which it tunnels untouched. Immutable; the edge swaps in a new one when the
// hub's revision changes. Read by the HTTP proxy and the protocol listeners.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "edge/grant.hpp"

namespace tessera::edge {

struct Route {
  std::string serverWorkload;
  std::string host;  // exact host, IP literal, or "*.domain"
  std::uint16_t port = 0;
  std::string protocol;
  bool upstreamTls = true;    // connect to the server over TLS (tls.enabled, default true)
  bool decrypt = false;       // terminate the client's TLS (exact hosts only)
  std::string caBundlePem{};  // verifies the server; empty: the edge's default roots
  std::string serverName{};   // TLS SNI and verified name; empty: the host asked for
  Injection injection;
};

class RouteTable {
 public:
  RouteTable() = default;
  // Parses the hub's answer; kHttpUpstream naming the field when malformed. Entries with a
  // protocol or method this edge does not know are kept (the hub validated them) and matched.
  static Result<RouteTable> fromJson(const nlohmann::json& answer);

  std::int64_t revision() const noexcept { return revision_; }
  std::size_t size() const noexcept { return routes_.size(); }
  // The route for a connection to host:port. An exact host wins over a wildcard.
  const Route* match(std::string_view host, std::uint16_t port) const;

 private:
  std::int64_t revision_ = 0;
  std::vector<Route> routes_;
};

}  // namespace tessera::edge
