#include "hub/hub.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <unordered_map>

#include "common/version.hpp"
#include "conditions/geoip_database.hpp"
#include "hub/access_api.hpp"
#include "hub/issuer_routes.hpp"
#include "hub/openapi.hpp"
#include "hub/token_endpoint.hpp"
#include "net/shutdown_signal.hpp"

namespace tessera::hub {

namespace {
// Replicas learn of configuration changes by polling the store's revision this often (one cheap
// read), so a change made through one hub is served by every other well within a second.
constexpr auto kConfigPollInterval = std::chrono::milliseconds(200);
constexpr auto kKeyRefreshInterval = std::chrono::seconds(1);
constexpr std::int64_t kMaintainEverySeconds = 10;
}  // namespace

Result<crypto::KeyEncryptionKey> loadKek(const KekSource& source) {
  if (source.file) {
    return crypto::KeyEncryptionKey::fromFile(*source.file);
  }
  if (source.env) {
    return crypto::KeyEncryptionKey::fromEnv(source.env->c_str());
  }
  return fail(ErrorCode::kConfigInvalid, "no key-encryption key configured");
}

Result<std::unique_ptr<Hub>> Hub::create(HubConfig config, const Clock& clock) {
  TESSERA_RETURN_IF_ERROR(validateHubConfig(config));
  std::unique_ptr<Hub> hub(new Hub(std::move(config), clock));
  TESSERA_ASSIGN_OR_RETURN(hub->store_, openConfiguredStore(hub->config_));
  auto kek = loadKek(hub->config_.kek);
  if (!kek) {
    return std::move(kek).error();
  }
  // The same KEK seals signing keys and the configuration's secret fields.
  hub->keys_ =
      std::make_unique<KeyManager>(hub->store_.signingKeys, *kek, hub->config_.keys, clock);
  hub->adminTokens_ = std::make_unique<AdminTokens>(hub->store_.adminTokens, clock);
  hub->configService_ = std::make_unique<ConfigService>(
      hub->store_.config, clock, model::SpecRegistry::builtin(), std::move(*kek));
  TESSERA_RETURN_IF_ERROR(hub->configService_->refresh());
  AccessServiceOptions access;
  access.serverId =
      hub->config_.access.serverId.empty() ? hub->config_.issuer : hub->config_.access.serverId;
  if (hub->config_.access.geoipDatabase) {
    TESSERA_ASSIGN_OR_RETURN(
        access.geoip, conditions::GeoIpDatabase::open(hub->config_.access.geoipDatabase->string()));
  }
  access.tokenCache.maxEntries = hub->config_.access.tokenCacheEntries;
  access.grantCache.enabled = hub->config_.grants.cache;
  access.grantCache.maxEntries = hub->config_.grants.cacheEntries;
  access.grantCache.negativeTtl = hub->config_.grants.negativeTtl;
  access.grantCache.refreshFraction = hub->config_.grants.refreshPercent / 100.0;
  access.issuer = hub->config_.issuer;
  access.sign = [keys = hub->keys_.get()](std::string_view algorithm,
                                          const nlohmann::json& claims) {
    return keys->sign(algorithm, claims);
  };
  access.kek = &hub->keys_->kek();
  TESSERA_DECLARE_OR_RETURN(auto client, net::HttpClient::create());
  hub->access_ = std::make_unique<AccessService>(*hub->configService_, std::move(client), clock,
                                                 std::move(access));
  AccessEventWriterOptions events;
  events.maxQueued = hub->config_.events.maxQueued;
  events.maxWait = hub->config_.events.maxWait;
  if (hub->config_.events.file) {
    events.sink = hub->config_.events.file->string();
  }
  TESSERA_ASSIGN_OR_RETURN(
      hub->events_,
      AccessEventWriter::start(
          hub->store_.accessEventWriter ? hub->store_.accessEventWriter : hub->store_.accessEvents,
          std::move(events)));
  hub->access_->setEventRecorder([writer = hub->events_.get()](const AccessOutcome& outcome) {
    return writer->record(accessEventRecord(outcome));
  });
  auto created = hub->keys_->maintain();
  if (!created) {
    return std::move(created).error();
  }
  return hub;
}

Hub::~Hub() {
  stop();
}

net::Router Hub::buildRouter() {
  net::Router router;
  addIssuerRoutes(router, config_.issuer, *keys_, clock_);
  AdminApiOptions adminOptions;
  adminOptions.maxBodyBytes = config_.server.maxBodyBytes;
  adminApi_ = std::make_unique<AdminApi>(*configService_, *adminTokens_, clock_, adminOptions);
  adminApi_->addRoutes(router);
  addAccessRoutes(*adminApi_, router, *access_, store_.accessEvents);
  addTokenEndpoint(router, config_.issuer, *access_, clock_);
  addOpenApiRoute(router, buildOpenApiDocument(adminApi_->routes(), configService_->registry()));
  router.get("/healthz", [](net::Request&) {
    return net::jsonResponse(200, {{"status", "ok"}, {"version", kVersion}});
  });
  router.get(
      "/readyz",
      [this](net::Request&) {
        const auto snapshot = keys_->snapshot();
        if (!snapshot->canSign(config_.keys.algorithms, toUnixSeconds(clock_.now()))) {
          return net::errorResponse(Error{ErrorCode::kUnavailable,
                                          "no current signing key for every configured algorithm"});
        }
        if (auto v = store_.signingKeys->version(); !v) {
          return net::errorResponse(Error{ErrorCode::kUnavailable, "store unreachable"});
        }
        return net::jsonResponse(200, {{"status", "ready"}});
      },
      net::RouteOptions{.blocking = true});  // asks the store
  router.get("/metrics", [this](net::Request&) {
    publishCacheMetrics();
    return net::textResponse(200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  return router;
}

void Hub::publishCacheMetrics() {
  const auto grants = access_->grantCacheStats();
  std::lock_guard lock(cacheMetricsMutex_);
  auto& last = publishedGrantStats_;
  const std::string help = "Grant lookups by the hub's grant cache, by result.";
  // Counters only go up: add what happened since the last scrape.
  for (auto [result, now, before] :
       {std::tuple{"issued", grants.issues, last.issues},
        std::tuple{"cached", grants.hits, last.hits},
        std::tuple{"shared", grants.shared, last.shared},
        std::tuple{"failure_cached", grants.failureHits, last.failureHits}}) {
    metrics_.counter("tessera_grant_cache_requests_total", help, {{"result", result}})
        .inc(static_cast<double>(now - before));
  }
  metrics_.counter("tessera_grant_cache_evictions_total", "Grants evicted from the hub's cache.")
      .inc(static_cast<double>(grants.evictions - last.evictions));
  metrics_.gauge("tessera_grant_cache_entries", "Grants the hub's cache holds.")
      .set(static_cast<double>(grants.entries));
  last = grants;

  const auto tokens = access_->tokenCacheStats();
  auto& lastTokens = publishedTokenStats_;
  for (auto [result, now, before] : {std::tuple{"hit", tokens.hits, lastTokens.hits},
                                     std::tuple{"miss", tokens.misses, lastTokens.misses}}) {
    metrics_
        .counter("tessera_token_cache_lookups_total",
                 "Verified-token cache lookups by result (a miss verifies the token).",
                 {{"result", result}})
        .inc(static_cast<double>(now - before));
  }
  metrics_
      .counter("tessera_token_cache_first_sightings_total",
               "Tokens verified and not cached because it was their first verification.")
      .inc(static_cast<double>(tokens.firstSightings - lastTokens.firstSightings));
  metrics_
      .counter("tessera_token_cache_evictions_total",
               "Verified tokens evicted from the hub's cache to make room.")
      .inc(static_cast<double>(tokens.evictions - lastTokens.evictions));
  metrics_.gauge("tessera_token_cache_entries", "Verified tokens the hub's cache holds.")
      .set(static_cast<double>(tokens.entries));
  lastTokens = tokens;
}

Result<void> Hub::start() {
  metrics_.gauge("tessera_build_info", "Build of the running hub", {{"version", kVersion}}).set(1);
  net::HttpServerOptions options;
  options.bind = config_.server.listen;
  options.threads = static_cast<std::size_t>(config_.server.threads);
  options.maxBodyBytes = config_.server.maxBodyBytes;
  options.readTimeout = config_.server.readTimeout;
  options.idleTimeout = config_.server.idleTimeout;
  if (config_.server.tlsCertFile) {
    options.tls = net::ServerTlsConfig{.certificateChainFile = *config_.server.tlsCertFile,
                                       .privateKeyFile = *config_.server.tlsKeyFile};
  }
  // The series of each (route, status) is looked up in the registry once: building the labels
  // and searching the families for every request cost a microsecond of each access decision.
  // Routes and status codes are finite, so the memo is too.
  struct RequestMetrics {
    RequestMetrics(MetricsRegistry& r, Histogram& h) : registry(r), latency(h) {}
    MetricsRegistry& registry;
    Histogram& latency;
    std::mutex mutex;
    std::unordered_map<std::string, Counter*> counters;
  };
  auto requests = std::make_shared<RequestMetrics>(
      metrics_, metrics_.histogram("tessera_http_request_duration_seconds", "Hub request latency",
                                   {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}));
  options.accessLog = [requests](const net::AccessLogEntry& e) {
    std::string key(e.route.empty() ? std::string_view("unmatched") : e.route);
    key += ' ';
    key += std::to_string(e.status);
    Counter* counter = nullptr;
    {
      std::lock_guard lock(requests->mutex);
      auto& memo = requests->counters[key];
      if (memo == nullptr) {
        memo = &requests->registry.counter(
            "tessera_http_requests_total", "HTTP requests served by the hub",
            {{"route", e.route.empty() ? "unmatched" : std::string(e.route)},
             {"code", std::to_string(e.status)}});
      }
      counter = memo;
    }
    counter->inc();
    requests->latency.observe(static_cast<double>(e.duration.count()) / 1e6);
  };
  server_ = std::make_unique<net::HttpServer>(buildRouter(), std::move(options));
  TESSERA_RETURN_IF_ERROR(server_->start());
  loop_ = std::thread([this] { maintenanceLoop(); });
  spdlog::info("hub listening on {} (issuer {})", config_.server.listen, config_.issuer);
  return {};
}

void Hub::maintenanceLoop() {
  std::int64_t lastMaintain = toUnixSeconds(clock_.now());
  auto lastKeyRefresh = std::chrono::steady_clock::now();
  std::unique_lock lock(loopMutex_);
  while (!stopping_) {
    loopWake_.wait_for(lock, kConfigPollInterval, [this] { return stopping_; });
    if (stopping_) {
      break;
    }
    lock.unlock();
    if (auto r = configService_->refresh(); !r) {
      spdlog::error("reloading the configuration failed: {}", r.error().describe());
    }
    if (std::chrono::steady_clock::now() - lastKeyRefresh < kKeyRefreshInterval) {
      lock.lock();
      continue;
    }
    lastKeyRefresh = std::chrono::steady_clock::now();
    const std::int64_t now = toUnixSeconds(clock_.now());
    const auto snapshot = keys_->snapshot();
    const auto transition = nextTransition(snapshot->records(), lastMaintain);
    if (now - lastMaintain >= kMaintainEverySeconds || (transition && *transition <= now)) {
      if (auto r = keys_->maintain(); !r) {
        spdlog::error("signing key maintenance failed: {}", r.error().describe());
      }
      lastMaintain = now;
    } else if (auto r = keys_->refresh(); !r) {
      spdlog::error("reloading signing keys failed: {}", r.error().describe());
    }
    std::map<std::string, int> states;
    for (const auto& k : keys_->snapshot()->records()) {
      ++states[std::string(keyStateName(keyStateAt(k, now)))];
    }
    for (const char* state : {"next", "current", "retiring"}) {
      metrics_.gauge("tessera_signing_keys", "Signing keys by state", {{"state", state}})
          .set(states[state]);
    }
    lock.lock();
  }
}

void Hub::stop() {
  {
    std::lock_guard lock(loopMutex_);
    stopping_ = true;
  }
  loopWake_.notify_all();
  if (loop_.joinable()) {
    loop_.join();
  }
  if (server_) {
    server_->stop(std::chrono::seconds(10));
  }
  // After the last decision: store what is queued, but do not hang a shutdown on a dead store
  // (what is abandoned was already streamed and is logged by id).
  if (events_) {
    if (auto r = events_->stop(std::chrono::seconds(30)); !r) {
      spdlog::error("access events: {}", r.error().describe());
    }
  }
}

int Hub::runUntilSignal() {
  net::ShutdownSignal signal;
  const int sig = signal.wait();
  spdlog::info("signal {} received, stopping", sig);
  stop();
  return sig;
}

std::uint16_t Hub::port() const {
  return server_ ? server_->port() : 0;
}

}  // namespace tessera::hub
