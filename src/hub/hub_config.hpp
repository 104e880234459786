// The hub's configuration (hub.yaml): where it listens, its issuer URL, store, key-encryption key,
// signing-key policy and where access events go. Loaded and fully validated at start by `tessera
// hub`; `tessera dev` builds one in code.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/store.hpp"

namespace tessera::hub {

struct KeyPolicy {
  std::vector<std::string> algorithms{"RS256", "ES256"};
  int rsaBits = 2048;
  // A key signs for this long before the next one takes over.
  std::chrono::milliseconds rotationPeriod = std::chrono::hours(24 * 30);
  // The next key is in the JWKS this long before it signs, so relying parties have fetched it.
  std::chrono::milliseconds prepublish = std::chrono::hours(24);
  // Upper bound on the lifetime of any token the hub signs; a retired key stays published this
  // long after it stops signing.
  std::chrono::milliseconds maxTokenLifetime = std::chrono::hours(12);
};

struct KekSource {
  std::optional<std::filesystem::path> file;
  std::optional<std::string> env;
};

struct ServerSettings {
  std::string listen = "127.0.0.1:8080";
  std::optional<std::filesystem::path> tlsCertFile;
  std::optional<std::filesystem::path> tlsKeyFile;
  int threads = 0;  // 0: one per core
  std::size_t maxBodyBytes = 1 << 20;
  std::chrono::milliseconds readTimeout = std::chrono::seconds(30);
  std::chrono::milliseconds idleTimeout = std::chrono::seconds(60);
};

// The access API (access: in hub.yaml).
struct AccessSettings {
  // The X-Tessera-Server-ID value AWS role evidence must sign; "" means the issuer URL.
  std::string serverId;
  // A MaxMind DB for geoip access conditions; without one they fail closed.
  std::optional<std::filesystem::path> geoipDatabase;
  std::size_t tokenCacheEntries = 100'000;  // verified-token cache bound
};

// The grant cache (grants: in hub.yaml): credentials issued for an authorized decision are
// reused per (policy, verified client identity, server workload, credential provider version)
// until their refresh point. See credentials/grant_cache.hpp.
struct GrantSettings {
  bool cache = true;  // false: every authorized decision issues (benchmarks, debugging)
  std::size_t cacheEntries = 10'000;
  // How long an upstream failure is answered from the cache before the provider is tried again.
  std::chrono::milliseconds negativeTtl = std::chrono::seconds(5);
  // When a grant is refreshed (and the edge told to ask again), as a percentage of its lifetime.
  int refreshPercent = 80;
};

// Access events: every decision is stored; `file` also streams them as JSON lines. The writer
// queues at most maxQueued events; a decision that finds the queue full waits up to maxWait for
// room and then fails closed.
struct AccessEventSettings {
  std::optional<std::filesystem::path> file;  // "-" for stdout
  std::size_t maxQueued = 10'000;
  std::chrono::milliseconds maxWait = std::chrono::seconds(1);
};

struct HubConfig {
  std::string issuer;  // https://..., or http://127.0.0.1... for development
  ServerSettings server;
  std::filesystem::path sqlitePath;  // the embedded store, unless postgresUrl is set
  // libpq connection string or postgresql:// URL; the password is best left out and supplied
  // through PGPASSWORD or ~/.pgpass, which libpq reads itself.
  std::optional<std::string> postgresUrl;
  KekSource kek;
  KeyPolicy keys;
  AccessSettings access;
  GrantSettings grants;
  AccessEventSettings events;
  std::string logLevel = "info";
  std::string logFormat = "text";
  bool devMode = false;
};

// Parses and validates; relative paths are resolved against the file's directory.
Result<HubConfig> loadHubConfig(const std::filesystem::path& path);
Result<HubConfig> parseHubConfig(std::string_view yaml, const std::string& sourceName,
                                 const std::filesystem::path& baseDir);

// Opens the configured store (SQLite or PostgreSQL) and applies pending migrations.
Result<store::Store> openConfiguredStore(const HubConfig& config);

// Rules that hold however the config was built (file or dev mode).
Result<void> validateHubConfig(const HubConfig& config);

}  // namespace tessera::hub
