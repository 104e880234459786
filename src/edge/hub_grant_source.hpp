// HubGrantSource: the edge's GrantSource. Asks the hub (POST /v1/access with the edge's token and
// the workload's evidence) and caches each grant per (target, client address): served until its
// refresh point, refreshed ahead in the background after it, single-flight (concurrent first
// requests make one hub call), bounded (LRU). Fail closed: no grant, no credential; when the hub
// cannot be reached a grant already held is served until it expires, new targets get
// kUnavailable. Also fetches the route table (GET /v1/edge/routes). Owned by Edge.
#pragma once

#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "edge/edge_config.hpp"
#include "edge/evidence_collector.hpp"
#include "edge/grant_source.hpp"
#include "edge/route_table.hpp"
#include "net/http_client.hpp"

namespace tessera::edge {

struct HubGrantSourceStats {
  std::size_t entries = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;     // hub calls for a target without a usable grant
  std::uint64_t refreshes = 0;  // background refreshes ahead of expiry
  std::uint64_t denied = 0;
  std::uint64_t hubErrors = 0;
  std::uint64_t servedStale = 0;  // held grants served while the hub was unreachable
};

class HubGrantSource final : public GrantSource {
 public:
  HubGrantSource(HubConnectionSettings hub, std::string edgeToken, GrantCacheSettings cache,
                 std::shared_ptr<EvidenceCollector> evidence, std::shared_ptr<net::HttpClient> http,
                 const Clock& clock, MetricsRegistry& metrics);
  ~HubGrantSource() override;

  boost::asio::awaitable<Result<std::shared_ptr<const Grant>>> grantFor(
      Target target, ClientContext context) override;
  std::shared_ptr<const Grant> heldGrant(const Target& target,
                                         const ClientContext& context) override;

  // GET /v1/edge/routes. kUnavailable when the hub cannot be reached or refuses.
  boost::asio::awaitable<Result<RouteTable>> fetchRoutes();

  // Drops every grant and denial held, so that the next request asks the hub again: the edge
  // calls it when the hub's configuration revision changes, so that a changed or removed policy
  // takes effect at the next routes refresh instead of at the grants' refresh points. A hub
  // call in flight finishes and its answer is kept.
  void forgetGrants();

  HubGrantSourceStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tessera::edge
