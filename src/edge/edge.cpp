#include "edge/edge.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/metrics.hpp"
#include "crypto/digest.hpp"
#include "crypto/edge_ca.hpp"
#include "edge/http_proxy.hpp"
#include "edge/hub_grant_source.hpp"
#include "edge/leaf_cache.hpp"
#include "edge/metadata_routes.hpp"
#include "edge/postgres_listener.hpp"
#include "net/http_server.hpp"
#include "net/shutdown_signal.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::edge {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kMaxTokenFileBytes = 4096;

Result<std::string> readEdgeToken(const HubConnectionSettings& hub) {
  std::string token;
  if (hub.tokenFile) {
    std::ifstream in(*hub.tokenFile, std::ios::binary);
    if (!in) {
      return Error{ErrorCode::kConfigInvalid,
                   "hub.tokenFile: cannot read " + hub.tokenFile->string()};
    }
    token.resize(kMaxTokenFileBytes + 1);
    in.read(token.data(), static_cast<std::streamsize>(token.size()));
    token.resize(static_cast<std::size_t>(in.gcount()));
  } else if (const char* value = std::getenv(hub.tokenEnv->c_str())) {
    token = value;
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty() || token.size() > kMaxTokenFileBytes) {
    return Error{ErrorCode::kConfigInvalid,
                 hub.tokenFile ? "hub.tokenFile: " + hub.tokenFile->string() +
                                     " holds no token (or more than 4 KiB)"
                               : "hub.tokenEnv: $" + *hub.tokenEnv + " holds no token"};
  }
  return token;
}

Result<std::shared_ptr<const crypto::EdgeCa>> loadOrMakeCa(const DecryptSettings& decrypt,
                                                           const Clock& clock) {
  if (decrypt.caCertFile) {
    auto ca = crypto::EdgeCa::loadFiles(decrypt.caCertFile->string(), decrypt.caKeyFile->string());
    if (!ca) {
      return std::move(ca).error();
    }
    return std::make_shared<const crypto::EdgeCa>(std::move(*ca));
  }
  const auto dir = *decrypt.selfSignedDir;
  const auto cert = dir / "ca.crt";
  const auto key = dir / "ca.key";
  std::error_code ec;
  if (std::filesystem::exists(cert, ec) && std::filesystem::exists(key, ec)) {
    auto ca = crypto::EdgeCa::loadFiles(cert.string(), key.string());
    if (!ca) {
      return std::move(ca).error();
    }
    if (ca->notAfter() > clock.now() + std::chrono::hours(24 * 7)) {
      return std::make_shared<const crypto::EdgeCa>(std::move(*ca));
    }
    spdlog::warn("edge: the self-signed CA in {} expires within a week; making a new one",
                 dir.string());
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error{ErrorCode::kIo,
                 "tls.selfSignedDir: cannot create " + dir.string() + ": " + ec.message()};
  }
  auto ca = crypto::EdgeCa::createSelfSigned("Tessera edge development CA",
                                             std::chrono::hours(24 * 365), clock.now());
  if (!ca) {
    return std::move(ca).error();
  }
  TESSERA_RETURN_IF_ERROR(ca->saveFiles(cert.string(), key.string()));
  spdlog::warn("edge: made a self-signed development CA {} (SHA-256 {}); workloads must trust it",
               cert.string(), ca->fingerprintSha256());
  return std::make_shared<const crypto::EdgeCa>(std::move(*ca));
}
}  // namespace

struct Edge::Impl {
  EdgeConfig config;
  const Clock& clock;
  MetricsRegistry metrics;
  // One io_context per thread; the first also runs the listeners other than the proxy, the route
  // refresh and the hub calls.
  std::vector<std::unique_ptr<asio::io_context>> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::shared_ptr<net::HttpClient> http;
  std::shared_ptr<EvidenceCollector> evidence;
  std::unique_ptr<HubGrantSource> grants;
  std::shared_ptr<const crypto::EdgeCa> ca;
  std::shared_ptr<LeafCache> leaves;
  std::unique_ptr<HttpProxy> proxy;
  std::vector<std::unique_ptr<PostgresListener>> postgres;
  std::unique_ptr<net::HttpServer> metadataServer;
  std::unique_ptr<net::HttpServer> adminServer;
  std::atomic<std::int64_t> routesRevision{-1};
  std::atomic<bool> hubReachable{false};
  std::optional<asio::steady_timer> refreshTimer;
  std::atomic<bool> stopped{false};
  std::mutex publishMutex;
  std::vector<PostgresListenerStats> publishedPostgres;

  // Copies the PostgreSQL listeners' statistics into the registry (on each scrape); counters
  // only go up, so each scrape adds what happened since the last.
  void publishPostgresMetrics() {
    std::lock_guard lock(publishMutex);
    publishedPostgres.resize(postgres.size());
    std::uint64_t active = 0;
    for (std::size_t i = 0; i < postgres.size(); ++i) {
      const auto now = postgres[i]->stats();
      auto& before = publishedPostgres[i];
      metrics
          .counter("tessera_edge_connections_total", "Client connections accepted, by listener.",
                   {{"listener", "postgres"}})
          .inc(static_cast<double>(now.accepted - before.accepted));
      metrics
          .counter("tessera_edge_injections_total", "Credentials put on the wire, by method.",
                   {{"method", "password"}})
          .inc(static_cast<double>(now.injected - before.injected));
      metrics
          .counter("tessera_edge_requests_refused_total",
                   "Requests the edge answered itself (no grant, no injection).")
          .inc(
              static_cast<double>(now.refused + now.overLimit - before.refused - before.overLimit));
      metrics
          .counter("tessera_edge_upstream_errors_total",
                   "Failures connecting to or talking with servers.")
          .inc(static_cast<double>(now.upstreamFailures - before.upstreamFailures));
      active += now.active;
      before = now;
    }
    if (!postgres.empty()) {
      metrics
          .gauge("tessera_edge_active_connections", "Client connections open.",
                 {{"listener", "postgres"}})
          .set(static_cast<double>(active));
    }
  }

  Impl(EdgeConfig c, const Clock& clk) : config(std::move(c)), clock(clk) {
    const auto count = config.threads > 0
                           ? static_cast<std::size_t>(config.threads)
                           : std::max<std::size_t>(1, std::thread::hardware_concurrency());
    // A worker's sockets and timers are only ever used from its own thread (other threads post
    // to it; the first worker's acceptor only registers a new socket, under the registration
    // lock, before handing it over), so the reactor's per-descriptor locks are switched off.
    for (std::size_t i = 0; i < count; ++i) {
      workers.push_back(std::make_unique<asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO));
    }
  }

  asio::io_context& mainContext() { return *workers.front(); }

  std::vector<asio::io_context*> workerPointers() const {
    std::vector<asio::io_context*> out;
    for (const auto& w : workers) {
      out.push_back(w.get());
    }
    return out;
  }

  asio::awaitable<bool> refreshRoutes() {
    auto table = co_await grants->fetchRoutes();
    if (!table) {
      if (hubReachable.exchange(false) || routesRevision.load() < 0) {
        spdlog::warn("edge: cannot refresh routes: {}", table.error().describe());
      }
      co_return false;
    }
    hubReachable = true;
    if (table->revision() != routesRevision.load()) {
      spdlog::info("edge: {} server workloads (configuration revision {})", table->size(),
                   table->revision());
      if (routesRevision.load() >= 0) {
        grants->forgetGrants();  // a policy may have changed: ask the hub again
      }
      routesRevision = table->revision();
      if (proxy) {
        proxy->setRoutes(std::make_shared<const RouteTable>(std::move(*table)));
      }
    }
    co_return true;
  }

  asio::awaitable<void> refreshLoop() {
    for (;;) {
      refreshTimer->expires_after(config.hub.routesRefresh);
      co_await refreshTimer->async_wait(asio::as_tuple(asio::use_awaitable));
      if (stopped) {
        co_return;
      }
      co_await refreshRoutes();
    }
  }
};

Edge::Edge(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Edge::~Edge() {
  stop();
}

Result<std::unique_ptr<Edge>> Edge::create(EdgeConfig config, const Clock& clock) {
  auto impl = std::make_unique<Impl>(std::move(config), clock);
  auto& c = impl->config;
  std::string token;
  TESSERA_ASSIGN_OR_RETURN(token, readEdgeToken(c.hub));
  net::HttpClientOptions httpOptions;
  if (c.hub.caBundle) {
    httpOptions.caBundleFile = c.hub.caBundle->string();
  }
  httpOptions.userAgent = "tessera-edge";
  auto http = net::HttpClient::create(httpOptions);
  if (!http) {
    return std::move(http).error();
  }
  impl->http = std::move(*http);
  impl->evidence = std::make_shared<EvidenceCollector>(c.evidence, impl->http, clock);
  impl->grants = std::make_unique<HubGrantSource>(c.hub, std::move(token), c.grants, impl->evidence,
                                                  impl->http, clock, impl->metrics);
  if (c.decrypt.enabled()) {
    auto ca = loadOrMakeCa(c.decrypt, clock);
    if (!ca) {
      return std::move(ca).error();
    }
    impl->ca = std::move(*ca);
    impl->leaves = std::make_shared<LeafCache>(impl->ca, clock);
  }
  if (!c.proxy.listen.empty() || !c.proxy.transparentListen.empty()) {
    HttpProxyOptions options;
    options.bind = c.proxy.listen;
    options.transparentBind = c.proxy.transparentListen;
    options.maxConnections = c.proxy.maxConnections;
    options.maxHeaderBytes = c.proxy.maxHeaderBytes;
    options.idleTimeout = c.proxy.idleTimeout;
    options.connectTimeout = c.proxy.connectTimeout;
    options.ioTimeout = c.proxy.ioTimeout;
    options.upstreamCaBundle = c.decrypt.upstreamCaBundle;
    impl->proxy = std::make_unique<HttpProxy>(impl->workerPointers(), std::move(options),
                                              *impl->grants, impl->leaves, clock, impl->metrics);
  }
  for (const auto& p : c.postgres) {
    PostgresListenerOptions options;
    options.bind = p.listen;
    options.upstream.host = p.host;
    options.upstream.port = p.port;
    TESSERA_ASSIGN_OR_RETURN(options.upstream.tls, parsePostgresTlsMode(p.tlsMode));
    if (p.caBundle) {
      options.upstream.caBundleFile = p.caBundle->string();
    }
    options.upstream.serverName = p.serverName;
    options.target = Target{p.host, p.port, "postgres"};
    impl->postgres.push_back(
        std::make_unique<PostgresListener>(impl->mainContext(), *impl->grants, std::move(options)));
  }
  if (!c.metadata.listen.empty()) {
    net::Router router;
    TESSERA_RETURN_IF_ERROR(addMetadataRoutes(router, c.metadata.routes, *impl->grants, clock));
    net::HttpServerOptions options;
    options.bind = c.metadata.listen;
    options.threads = 1;
    auto* registry = &impl->metrics;
    options.accessLog = [registry](const net::AccessLogEntry& e) {
      registry
          ->counter("tessera_edge_metadata_requests_total",
                    "Requests to the cloud-SDK metadata endpoints, by route and status.",
                    {{"route", e.route.empty() ? "unmatched" : std::string(e.route)},
                     {"code", std::to_string(e.status)}})
          .inc();
    };
    impl->metadataServer = std::make_unique<net::HttpServer>(std::move(router), options);
  }
  {
    net::Router router;
    auto* self = impl.get();
    router.get("/healthz", [self](net::Request&) {
      return net::jsonResponse(200, {{"status", "ok"},
                                     {"hub", self->hubReachable ? "reachable" : "unreachable"},
                                     {"routesRevision", self->routesRevision.load()}});
    });
    router.get("/metrics", [self](net::Request&) {
      self->publishPostgresMetrics();
      return net::textResponse(200, self->metrics.render(), "text/plain; version=0.0.4");
    });
    router.get("/ca.pem", [self](net::Request&) {
      if (!self->ca) {
        return net::errorResponse(
            Error{ErrorCode::kNotFound, "this edge does not decrypt TLS (no tls: section)"});
      }
      return net::textResponse(200, self->ca->certificatePem(), "application/x-pem-file");
    });
    net::HttpServerOptions options;
    options.bind = c.adminListen;
    options.threads = 1;
    impl->adminServer = std::make_unique<net::HttpServer>(std::move(router), options);
  }
  return std::unique_ptr<Edge>(new Edge(std::move(impl)));
}

Result<void> Edge::start() {
  auto& impl = *impl_;
  if (impl.proxy) {
    TESSERA_RETURN_IF_ERROR(impl.proxy->start());
  }
  for (auto& listener : impl.postgres) {
    TESSERA_RETURN_IF_ERROR(listener->start());
  }
  if (impl.metadataServer) {
    TESSERA_RETURN_IF_ERROR(impl.metadataServer->start());
  }
  TESSERA_RETURN_IF_ERROR(impl.adminServer->start());
  for (auto& worker : impl.workers) {
    impl.work.push_back(asio::make_work_guard(*worker));
    impl.threads.emplace_back([ioc = worker.get()] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("edge: unexpected exception on an I/O thread: {}", e.what());
        }
      }
    });
  }
  auto first = asio::co_spawn(impl.mainContext(), impl.refreshRoutes(), asio::use_future);
  first.wait();
  impl.refreshTimer.emplace(impl.mainContext());
  asio::co_spawn(impl.mainContext(), impl.refreshLoop(), asio::detached);
  spdlog::info("edge started: hub {}, proxy port {}, admin port {}", impl.config.hub.url,
               proxyPort(), adminPort());
  return {};
}

void Edge::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) {
    return;
  }
  auto& impl = *impl_;
  if (impl.proxy) {
    impl.proxy->stop();
  }
  for (auto& listener : impl.postgres) {
    listener->stop();
  }
  if (impl.metadataServer) {
    impl.metadataServer->stop(std::chrono::seconds(2));
  }
  impl.adminServer->stop(std::chrono::seconds(2));
  if (impl.refreshTimer) {
    asio::post(impl.mainContext(), [&impl] { impl.refreshTimer->cancel(); });
  }
  impl.work.clear();
  // Requests under way may finish; what is still open then (idle keep-alive connections, CONNECT
  // tunnels, database relays, requests past the deadline) ends with the io_contexts.
  if (impl.proxy && !impl.proxy->drain(impl.config.proxy.drainTimeout)) {
    spdlog::warn(
        "edge proxy: proxy.drainTimeout ({} ms) has passed; closing the requests still "
        "under way ({})",
        impl.config.proxy.drainTimeout.count(), impl.proxy->stats().inFlight);
  }
  for (auto& worker : impl.workers) {
    worker->stop();
  }
  for (auto& t : impl.threads) {
    t.join();
  }
  impl.threads.clear();
}

int Edge::runUntilSignal() {
  net::ShutdownSignal signal;
  const int sig = signal.wait();
  spdlog::info("signal {} received, stopping", sig);
  stop();
  return sig;
}

std::uint16_t Edge::proxyPort() const {
  return impl_->proxy ? impl_->proxy->port() : 0;
}
std::uint16_t Edge::adminPort() const {
  return impl_->adminServer->port();
}
std::uint16_t Edge::metadataPort() const {
  return impl_->metadataServer ? impl_->metadataServer->port() : 0;
}
std::vector<std::uint16_t> Edge::postgresPorts() const {
  std::vector<std::uint16_t> ports;
  for (const auto& listener : impl_->postgres) {
    ports.push_back(listener->port());
  }
  return ports;
}
std::string Edge::caCertificatePem() const {
  return impl_->ca ? impl_->ca->certificatePem() : "";
}

}  // namespace tessera::edge
