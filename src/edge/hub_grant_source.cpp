#include "edge/hub_grant_source.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unordered_map>

#include "net/completion_gate.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12: Boost.Asio coroutine frames' sized delete reported as mismatched (false positive; see
// hub/access_service.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::edge {

namespace {
constexpr std::size_t kMaxHubAnswerBytes = 1024 * 1024;

void appendCacheKey(std::string& key, const Target& target, const ClientContext& context) {
  key.append(target.protocol).append(1, '|').append(target.host).append(1, '|');
  key.append(std::to_string(target.port)).append(1, '|').append(context.sourceIp);
}

std::string cacheKey(const Target& target, const ClientContext& context) {
  std::string key;
  appendCacheKey(key, target, context);
  return key;
}

bool isHubUnreachable(const Error& error) {
  return error.code != ErrorCode::kPermissionDenied;
}
}  // namespace

struct HubGrantSource::Impl : std::enable_shared_from_this<Impl> {
  struct Entry {
    std::shared_ptr<const Grant> grant;
    std::optional<Error> denial;
    SystemTime deniedUntil{};
    std::shared_ptr<net::CompletionGate> flight;  // a hub call in progress
    SystemTime nextRefresh{};                     // after a failed refresh, when to try again
    std::uint64_t lastUse = 0;
  };

  HubConnectionSettings hub;
  std::string edgeToken;
  GrantCacheSettings cache;
  std::shared_ptr<EvidenceCollector> evidence;
  std::shared_ptr<net::HttpClient> http;
  const Clock& clock;

  mutable std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;
  std::uint64_t useClock = 0;
  HubGrantSourceStats stats;

  Counter& hitCounter;
  Counter& missCounter;
  Counter& refreshCounter;
  Counter& deniedCounter;
  Counter& hubErrorCounter;
  Counter& staleCounter;
  Gauge& entryGauge;

  Impl(HubConnectionSettings h, std::string token, GrantCacheSettings c,
       std::shared_ptr<EvidenceCollector> e, std::shared_ptr<net::HttpClient> client,
       const Clock& clk, MetricsRegistry& m)
      : hub(std::move(h)),
        edgeToken(std::move(token)),
        cache(c),
        evidence(std::move(e)),
        http(std::move(client)),
        clock(clk),
        hitCounter(m.counter("tessera_edge_grant_requests_total",
                             "Grant lookups by the edge's listeners, by result.",
                             {{"result", "hit"}})),
        missCounter(m.counter("tessera_edge_grant_requests_total",
                              "Grant lookups by the edge's listeners, by result.",
                              {{"result", "miss"}})),
        refreshCounter(
            m.counter("tessera_edge_grant_refreshes_total", "Grants refreshed ahead of expiry.")),
        deniedCounter(m.counter("tessera_edge_grant_requests_total",
                                "Grant lookups by the edge's listeners, by result.",
                                {{"result", "denied"}})),
        hubErrorCounter(m.counter("tessera_edge_hub_errors_total",
                                  "Hub calls that failed (unreachable, refused, malformed).")),
        staleCounter(m.counter("tessera_edge_grant_requests_total",
                               "Grant lookups by the edge's listeners, by result.",
                               {{"result", "held_while_hub_unreachable"}})),
        entryGauge(m.gauge("tessera_edge_grant_cache_entries", "Grants the edge holds.")) {}

  Error hubError(std::string what) {
    hubErrorCounter.inc();
    {
      std::lock_guard lock(mutex);
      ++stats.hubErrors;
    }
    return Error{ErrorCode::kUnavailable, "the hub at " + hub.url + " " + what};
  }

  // One POST /v1/access.
  boost::asio::awaitable<Result<Grant>> askHub(Target target, ClientContext context) {
    auto collected = co_await evidence->collect();
    nlohmann::json contextJson = nlohmann::json::object();
    for (const auto& [name, value] : collected.context) {
      contextJson[name] = value;
    }
    if (!context.sourceIp.empty()) {
      contextJson["sourceIp"] = context.sourceIp;
    }
    const nlohmann::json body = {
        {"evidence", std::move(collected.evidence)},
        {"target", {{"host", target.host}, {"port", target.port}, {"protocol", target.protocol}}},
        {"context", std::move(contextJson)}};
    auto request =
        net::ClientRequest::post(hub.url + "/v1/access", body.dump(), "application/json");
    request.withHeader("Authorization", "Bearer " + edgeToken)
        .withTimeout(hub.timeout)
        .withMaxResponseBytes(kMaxHubAnswerBytes);
    auto response = co_await http->request(std::move(request));
    if (!response) {
      co_return hubError("cannot be reached: " + response.error().describe());
    }
    if (response->status != 200) {
      co_return hubError("answered HTTP " + std::to_string(response->status) + ": " +
                         response->body.substr(0, 512));
    }
    const auto answer = nlohmann::json::parse(response->body, nullptr, false);
    auto grant = parseAccessAnswer(answer);
    if (!grant && grant.error().code == ErrorCode::kHttpUpstream) {
      co_return hubError("gave a malformed answer: " + grant.error().message);
    }
    co_return grant;
  }

  // Leads one hub call for `key` and publishes its outcome in the entry.
  boost::asio::awaitable<void> lead(std::string key, Target target, ClientContext context,
                                    std::shared_ptr<net::CompletionGate> gate) {
    auto answer = co_await askHub(target, context);
    const auto now = clock.now();
    {
      std::lock_guard lock(mutex);
      auto& entry = entries[key];
      if (answer) {
        entry.grant = std::make_shared<const Grant>(std::move(*answer));
        entry.denial.reset();
        spdlog::debug(
            "edge: grant {} for {}:{} (context {}, refresh at {}s)", entry.grant->fingerprint(),
            target.host, target.port, entry.grant->contextId,
            std::chrono::duration_cast<std::chrono::seconds>(entry.grant->refreshAt - now).count());
      } else if (!isHubUnreachable(answer.error())) {
        // The hub said no: whatever was held is no longer authorized.
        entry.grant.reset();
        entry.denial = answer.error();
        entry.deniedUntil = now + cache.deniedTtl;
        ++stats.denied;
        deniedCounter.inc();
      } else {
        entry.denial = answer.error();  // remembered only for answering waiters
        entry.deniedUntil = now;
        entry.nextRefresh = now + std::chrono::seconds(1);
        spdlog::warn("edge: no new grant for {}:{}: {}", target.host, target.port,
                     answer.error().describe());
      }
      entry.flight.reset();
      evictLocked();
      entryGauge.set(static_cast<double>(entries.size()));
    }
    gate->open();
  }

  void evictLocked() {
    while (entries.size() > cache.maxEntries) {
      auto victim = entries.end();
      for (auto it = entries.begin(); it != entries.end(); ++it) {
        if (!it->second.flight &&
            (victim == entries.end() || it->second.lastUse < victim->second.lastUse)) {
          victim = it;
        }
      }
      if (victim == entries.end()) {
        return;
      }
      entries.erase(victim);
    }
  }
};

HubGrantSource::HubGrantSource(HubConnectionSettings hub, std::string edgeToken,
                               GrantCacheSettings cache,
                               std::shared_ptr<EvidenceCollector> evidence,
                               std::shared_ptr<net::HttpClient> http, const Clock& clock,
                               MetricsRegistry& metrics)
    : impl_(std::make_shared<Impl>(std::move(hub), std::move(edgeToken), cache, std::move(evidence),
                                   std::move(http), clock, metrics)) {}

HubGrantSource::~HubGrantSource() = default;

std::shared_ptr<const Grant> HubGrantSource::heldGrant(const Target& target,
                                                       const ClientContext& context) {
  // The key is built in a per-thread buffer: no allocation once it has grown.
  thread_local std::string key;
  key.clear();
  appendCacheKey(key, target, context);
  auto& impl = *impl_;
  std::lock_guard lock(impl.mutex);
  const auto it = impl.entries.find(key);
  if (it == impl.entries.end() || !it->second.grant ||
      !(impl.clock.now() < it->second.grant->refreshAt)) {
    return nullptr;
  }
  it->second.lastUse = ++impl.useClock;
  ++impl.stats.hits;
  impl.hitCounter.inc();
  return it->second.grant;
}

boost::asio::awaitable<Result<std::shared_ptr<const Grant>>> HubGrantSource::grantFor(
    Target target, ClientContext context) {
  auto impl = impl_;
  const std::string key = cacheKey(target, context);
  const auto executor = co_await boost::asio::this_coro::executor;
  for (int round = 0; round < 2; ++round) {
    std::shared_ptr<net::CompletionGate> wait;
    bool leader = false;
    {
      std::lock_guard lock(impl->mutex);
      const auto now = impl->clock.now();
      auto& entry = impl->entries[key];
      entry.lastUse = ++impl->useClock;
      if (entry.grant && now < entry.grant->refreshAt) {
        ++impl->stats.hits;
        impl->hitCounter.inc();
        co_return entry.grant;
      }
      if (entry.denial && !isHubUnreachable(*entry.denial) && now < entry.deniedUntil) {
        co_return *entry.denial;
      }
      if (entry.grant && now < entry.grant->expiresAt) {
        // In the refresh window: serve what is held, refresh once in the background (at most
        // once a second while the hub is unreachable).
        if (entry.denial) {
          ++impl->stats.servedStale;
          impl->staleCounter.inc();
        }
        if (!entry.flight && now >= entry.nextRefresh) {
          entry.flight = std::make_shared<net::CompletionGate>();
          ++impl->stats.refreshes;
          impl->refreshCounter.inc();
          auto refresh = impl->lead(key, target, context, entry.flight);
          boost::asio::co_spawn(executor, std::move(refresh), boost::asio::detached);
        }
        ++impl->stats.hits;
        impl->hitCounter.inc();
        co_return entry.grant;
      }
      if (round == 1) {
        // Just led or waited for a hub call that gave nothing usable.
        if (entry.denial) {
          co_return *entry.denial;
        }
        co_return Error{ErrorCode::kUnavailable, "no grant from the hub at " + impl->hub.url};
      }
      if (entry.flight) {
        wait = entry.flight;
      } else {
        entry.flight = std::make_shared<net::CompletionGate>();
        wait = entry.flight;
        leader = true;
        ++impl->stats.misses;
        impl->missCounter.inc();
      }
    }
    if (leader) {
      co_await impl->lead(key, target, context, wait);
    } else {
      co_await wait->wait(boost::asio::use_awaitable);
    }
  }
  co_return Error{ErrorCode::kInternal, "unreachable"};
}

boost::asio::awaitable<Result<RouteTable>> HubGrantSource::fetchRoutes() {
  auto impl = impl_;
  auto request = net::ClientRequest::get(impl->hub.url + "/v1/edge/routes");
  request.withHeader("Authorization", "Bearer " + impl->edgeToken)
      .withTimeout(impl->hub.timeout)
      .withMaxResponseBytes(8 * 1024 * 1024);
  auto response = co_await impl->http->request(std::move(request));
  if (!response) {
    co_return impl->hubError("cannot be reached: " + response.error().describe());
  }
  if (response->status != 200) {
    co_return impl->hubError("answered HTTP " + std::to_string(response->status) +
                             " for the edge routes: " + response->body.substr(0, 512));
  }
  auto table = RouteTable::fromJson(nlohmann::json::parse(response->body, nullptr, false));
  if (!table) {
    co_return impl->hubError(table.error().message);
  }
  co_return std::move(*table);
}

void HubGrantSource::forgetGrants() {
  std::lock_guard lock(impl_->mutex);
  for (auto it = impl_->entries.begin(); it != impl_->entries.end();) {
    if (it->second.flight) {
      it->second.grant.reset();
      it->second.denial.reset();
      ++it;
    } else {
      it = impl_->entries.erase(it);
    }
  }
  impl_->entryGauge.set(static_cast<double>(impl_->entries.size()));
}

HubGrantSourceStats HubGrantSource::stats() const {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->stats;
  s.entries = impl_->entries.size();
  return s;
}

}  // namespace tessera::edge
