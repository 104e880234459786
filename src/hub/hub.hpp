// Hub: the control-plane process. Opens the store, loads the key-encryption key, keeps the
// signing keys (KeyManager) maintained in the background, and serves the issuer, health and
// metrics endpoints over the HTTP core. `tessera hub` and `tessera dev` create one.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "hub/access_event_writer.hpp"
#include "hub/access_service.hpp"
#include "hub/admin_api.hpp"
#include "hub/admin_tokens.hpp"
#include "hub/config_service.hpp"
#include "hub/hub_config.hpp"
#include "hub/key_manager.hpp"
#include "net/http_server.hpp"
#include "store/store.hpp"

namespace tessera::hub {

// Opens the configured key-encryption key (file or environment variable).
Result<crypto::KeyEncryptionKey> loadKek(const KekSource& source);

class Hub {
 public:
  // Validates, opens the store, loads the KEK and makes sure signing keys exist. Nothing listens
  // yet. Any failure here is a start-up error naming its cause.
  static Result<std::unique_ptr<Hub>> create(HubConfig config,
                                             const Clock& clock = SystemClock::instance());
  ~Hub();

  // Binds and serves; starts the key maintenance loop.
  Result<void> start();
  // Graceful stop: drains HTTP, ends the maintenance loop.
  void stop();
  // Blocks until SIGTERM/SIGINT, then stops.
  int runUntilSignal();

  std::uint16_t port() const;
  const HubConfig& config() const { return config_; }
  KeyManager& keys() { return *keys_; }
  AdminTokens& adminTokens() { return *adminTokens_; }
  ConfigService& configService() { return *configService_; }
  AccessService& accessService() { return *access_; }
  AccessEventWriter& accessEvents() { return *events_; }
  // The admin routes as registered (after start()): for the OpenAPI document's test.
  const std::vector<AdminRoute>& adminRoutes() const { return adminApi_->routes(); }
  MetricsRegistry& metrics() { return metrics_; }

 private:
  Hub(HubConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {}
  net::Router buildRouter();
  void maintenanceLoop();
  // Copies the grant and verified-token cache statistics into metrics_ (on each scrape).
  void publishCacheMetrics();

  HubConfig config_;
  const Clock& clock_;
  store::Store store_;
  std::unique_ptr<KeyManager> keys_;
  std::unique_ptr<AdminTokens> adminTokens_;
  std::unique_ptr<ConfigService> configService_;
  std::unique_ptr<AccessEventWriter> events_;
  std::unique_ptr<AccessService> access_;
  std::unique_ptr<AdminApi> adminApi_;
  MetricsRegistry metrics_;
  std::mutex cacheMetricsMutex_;
  credentials::GrantCacheStats publishedGrantStats_{};
  trust::VerifiedTokenCacheStats publishedTokenStats_{};
  std::unique_ptr<net::HttpServer> server_;
  std::mutex loopMutex_;
  std::condition_variable loopWake_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace tessera::hub
