// HttpProxy: the edge's explicit proxy (HTTP_PROXY / HTTPS_PROXY). Absolute-form HTTP requests
// and CONNECT on one port. For a host:port with a server workload it injects the grant's
// credential — into plain requests directly, and into HTTPS after terminating the client's TLS
// with a leaf from the edge CA when the server workload asks for decrypt — then forwards to the
// server over TLS verified against the system roots or the workload's bundle. Everything else is
// forwarded or tunneled untouched. Fail closed: a request that should carry a credential and
// cannot get one is answered by the edge (403/503/502 with a Tessera-Error header and a JSON
// body naming the reason), never sent without it. Owned by Edge; runs on its worker io_contexts.
//
// Transparent mode (transparentBind): a second listener for connections an iptables/nftables
// REDIRECT sent to the edge — the workload has no proxy settings. The original destination comes
// from SO_ORIGINAL_DST; a connection that was not redirected (its destination is the listener
// itself) is refused, so the listener cannot loop into itself. The first bytes decide: a TLS
// ClientHello names its host (SNI, else the IP) and is decrypted like CONNECT when a route wants
// it, tunneled untouched otherwise; plain HTTP is served request by request with the Host header's
// name and the original port as the target. The edge always connects to the original destination
// address, never to a re-resolved name, and injects only when the name resolves to that address
// (a forged Host or SNI cannot steer a credential to another server). The edge's own connections
// to servers must be exempt from the REDIRECT (e.g. `-m owner ! --uid-owner <edge uid>`).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "common/result.hpp"
#include "edge/grant_source.hpp"
#include "edge/leaf_cache.hpp"
#include "edge/route_table.hpp"

namespace tessera::edge {

struct HttpProxyOptions {
  std::string bind = "127.0.0.1:3128";  // "" : no explicit proxy listener
  std::string transparentBind{};        // "" : no transparent listener
  std::size_t maxConnections = 10'000;
  std::size_t maxHeaderBytes = 64 * 1024;
  std::chrono::milliseconds idleTimeout = std::chrono::seconds(60);
  std::chrono::milliseconds connectTimeout = std::chrono::seconds(10);
  // Whole request head, each body read, TLS handshakes.
  std::chrono::milliseconds ioTimeout = std::chrono::seconds(60);
  // Trusted when the edge connects to servers (empty: system roots); a server workload's own
  // caBundle replaces it for that workload.
  std::optional<std::filesystem::path> upstreamCaBundle;
};

struct HttpProxyStats {
  std::uint64_t connections = 0;
  std::uint64_t activeConnections = 0;
  std::uint64_t requests = 0;
  std::uint64_t injected = 0;
  std::uint64_t tunnels = 0;
  std::uint64_t decrypted = 0;
  std::uint64_t refused = 0;  // answered by the edge: no grant, injection impossible
  std::uint64_t upstreamErrors = 0;
  std::uint64_t inFlight = 0;  // requests between their head's arrival and their answer's end
};

class HttpProxy {
 public:
  // `leaves` may be null: then no TLS is decrypted (every CONNECT is tunneled). Connections are
  // dealt to `workers` in turn (each should be run by one thread; at least one); the listeners
  // accept on the first.
  HttpProxy(std::vector<boost::asio::io_context*> workers, HttpProxyOptions options,
            GrantSource& grants, std::shared_ptr<LeafCache> leaves, const Clock& clock,
            MetricsRegistry& metrics);
  ~HttpProxy();
  HttpProxy(const HttpProxy&) = delete;
  HttpProxy& operator=(const HttpProxy&) = delete;

  // Binds and starts accepting (the caller runs the io_context). kConfigInvalid/kIo for the
  // bind address, kHttpTls for an unreadable upstream CA bundle.
  Result<void> start();
  std::uint16_t port() const;
  std::uint16_t transparentPort() const;
  // Stops accepting. Connections end after the request under way, if any; closing what remains
  // is up to the owner (it stops the workers).
  void stop();
  // After stop(): waits until no request is under way (CONNECT tunnels do not count; inside a
  // decrypted one each request does), or until `deadline` has passed. True when none is.
  bool drain(std::chrono::milliseconds deadline);

  // Replaces the routes (atomically; connections pick them up on their next request).
  void setRoutes(std::shared_ptr<const RouteTable> routes);
  HttpProxyStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tessera::edge
