#include "hub/hub_config.hpp"

#include <algorithm>

#include "common/yaml_config.hpp"

namespace tessera::hub {

namespace {

constexpr std::chrono::milliseconds kMaxEventWait = std::chrono::seconds(30);

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : base / path;
}

bool isLoopbackHttp(const std::string& url) {
  for (const char* prefix : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    const std::string_view p(prefix);
    if (url.starts_with(p) &&
        (url.size() == p.size() || url[p.size()] == ':' || url[p.size()] == '/')) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<HubConfig> parseHubConfig(std::string_view yaml, const std::string& sourceName,
                                 const std::filesystem::path& baseDir) {
  auto parsed = ConfigNode::loadString(yaml, sourceName);
  if (!parsed) {
    return std::move(parsed).error();
  }
  const ConfigNode& root = *parsed;
  TESSERA_RETURN_IF_ERROR(root.rejectUnknown({"issuer", "server", "store", "keyEncryptionKey",
                                              "keys", "events", "log", "access", "grants"}));
  HubConfig c;
  TESSERA_ASSIGN_OR_RETURN(c.issuer, root.requiredString("issuer"));
  if (!c.issuer.starts_with("https://") && !isLoopbackHttp(c.issuer)) {
    return root.errorAt("issuer", "must be an https:// URL (http:// only on loopback)");
  }
  if (c.issuer.ends_with('/') || c.issuer.find_first_of("?#") != std::string::npos) {
    return root.errorAt("issuer", "must not end with '/' or carry a query or fragment");
  }

  ConfigNode server;
  TESSERA_ASSIGN_OR_RETURN(server, root.child("server"));
  TESSERA_RETURN_IF_ERROR(server.rejectUnknown(
      {"listen", "tls", "threads", "maxBodyBytes", "readTimeout", "idleTimeout"}));
  TESSERA_ASSIGN_OR_RETURN(c.server.listen, server.string("listen", c.server.listen));
  std::int64_t threads = 0;
  TESSERA_ASSIGN_OR_RETURN(threads, server.integer("threads", 0, 0, 256));
  c.server.threads = static_cast<int>(threads);
  std::int64_t maxBody = 0;
  TESSERA_ASSIGN_OR_RETURN(maxBody, server.integer("maxBodyBytes", 1 << 20, 1024, 64 << 20));
  c.server.maxBodyBytes = static_cast<std::size_t>(maxBody);
  TESSERA_ASSIGN_OR_RETURN(c.server.readTimeout,
                           server.duration("readTimeout", c.server.readTimeout));
  TESSERA_ASSIGN_OR_RETURN(c.server.idleTimeout,
                           server.duration("idleTimeout", c.server.idleTimeout));
  if (server.has("tls")) {
    ConfigNode tls;
    TESSERA_ASSIGN_OR_RETURN(tls, server.child("tls"));
    TESSERA_RETURN_IF_ERROR(tls.rejectUnknown({"certFile", "keyFile"}));
    std::string cert, key;
    TESSERA_ASSIGN_OR_RETURN(cert, tls.requiredString("certFile"));
    TESSERA_ASSIGN_OR_RETURN(key, tls.requiredString("keyFile"));
    c.server.tlsCertFile = resolve(baseDir, cert);
    c.server.tlsKeyFile = resolve(baseDir, key);
  }

  ConfigNode store;
  TESSERA_ASSIGN_OR_RETURN(store, root.child("store"));
  TESSERA_RETURN_IF_ERROR(store.rejectUnknown({"sqlite", "postgres"}));
  if (store.has("sqlite") == store.has("postgres")) {
    return root.errorAt("store", "set exactly one of sqlite or postgres");
  }
  if (store.has("sqlite")) {
    ConfigNode sqlite;
    TESSERA_ASSIGN_OR_RETURN(sqlite, store.child("sqlite"));
    TESSERA_RETURN_IF_ERROR(sqlite.rejectUnknown({"path"}));
    std::string sqlitePath;
    TESSERA_ASSIGN_OR_RETURN(sqlitePath, sqlite.requiredString("path"));
    c.sqlitePath = resolve(baseDir, sqlitePath);
  } else {
    ConfigNode postgres;
    TESSERA_ASSIGN_OR_RETURN(postgres, store.child("postgres"));
    TESSERA_RETURN_IF_ERROR(postgres.rejectUnknown({"url"}));
    std::string url;
    TESSERA_ASSIGN_OR_RETURN(url, postgres.requiredString("url"));
    c.postgresUrl = url;
  }

  ConfigNode kek;
  TESSERA_ASSIGN_OR_RETURN(kek, root.child("keyEncryptionKey"));
  TESSERA_RETURN_IF_ERROR(kek.rejectUnknown({"file", "env"}));
  if (kek.has("file") == kek.has("env")) {
    return root.errorAt("keyEncryptionKey", "set exactly one of file or env");
  }
  if (kek.has("file")) {
    std::string file;
    TESSERA_ASSIGN_OR_RETURN(file, kek.requiredString("file"));
    c.kek.file = resolve(baseDir, file);
  } else {
    std::string env;
    TESSERA_ASSIGN_OR_RETURN(env, kek.requiredString("env"));
    c.kek.env = env;
  }

  ConfigNode keys;
  TESSERA_ASSIGN_OR_RETURN(keys, root.child("keys"));
  TESSERA_RETURN_IF_ERROR(keys.rejectUnknown(
      {"algorithms", "rsaBits", "rotationPeriod", "prepublish", "maxTokenLifetime"}));
  TESSERA_ASSIGN_OR_RETURN(c.keys.algorithms, keys.stringList("algorithms", c.keys.algorithms));
  for (const auto& alg : c.keys.algorithms) {
    if (alg != "RS256" && alg != "ES256") {
      return keys.errorAt("algorithms", "'" + alg.substr(0, 20) + "' is not RS256 or ES256");
    }
  }
  std::int64_t bits = 0;
  TESSERA_ASSIGN_OR_RETURN(bits, keys.integer("rsaBits", 2048, 2048, 8192));
  if (bits % 1024 != 0) {
    return keys.errorAt("rsaBits", "must be a multiple of 1024");
  }
  c.keys.rsaBits = static_cast<int>(bits);
  TESSERA_ASSIGN_OR_RETURN(c.keys.rotationPeriod,
                           keys.duration("rotationPeriod", c.keys.rotationPeriod));
  TESSERA_ASSIGN_OR_RETURN(c.keys.prepublish, keys.duration("prepublish", c.keys.prepublish));
  TESSERA_ASSIGN_OR_RETURN(c.keys.maxTokenLifetime,
                           keys.duration("maxTokenLifetime", c.keys.maxTokenLifetime));

  ConfigNode access;
  TESSERA_ASSIGN_OR_RETURN(access, root.child("access"));
  TESSERA_RETURN_IF_ERROR(access.rejectUnknown({"serverId", "geoipDatabase", "tokenCacheEntries"}));
  TESSERA_ASSIGN_OR_RETURN(c.access.serverId, access.string("serverId", ""));
  if (c.access.serverId.size() > 256) {
    return access.errorAt("serverId", "must be at most 256 characters");
  }
  if (access.has("geoipDatabase")) {
    std::string path;
    TESSERA_ASSIGN_OR_RETURN(path, access.requiredString("geoipDatabase"));
    c.access.geoipDatabase = resolve(baseDir, path);
  }
  std::int64_t entries = 0;
  TESSERA_ASSIGN_OR_RETURN(entries, access.integer("tokenCacheEntries", 100'000, 0, 10'000'000));
  c.access.tokenCacheEntries = static_cast<std::size_t>(entries);

  ConfigNode grants;
  TESSERA_ASSIGN_OR_RETURN(grants, root.child("grants"));
  TESSERA_RETURN_IF_ERROR(
      grants.rejectUnknown({"cache", "cacheEntries", "negativeTtl", "refreshPercent"}));
  TESSERA_ASSIGN_OR_RETURN(c.grants.cache, grants.boolean("cache", c.grants.cache));
  TESSERA_ASSIGN_OR_RETURN(entries, grants.integer("cacheEntries", 10'000, 1, 10'000'000));
  c.grants.cacheEntries = static_cast<std::size_t>(entries);
  TESSERA_ASSIGN_OR_RETURN(c.grants.negativeTtl,
                           grants.duration("negativeTtl", c.grants.negativeTtl));
  if (c.grants.negativeTtl > std::chrono::minutes(5)) {
    // Longer would keep serving an error well after the upstream recovered.
    return grants.errorAt("negativeTtl", "must be at most 5m");
  }
  std::int64_t refreshPercent = 0;
  TESSERA_ASSIGN_OR_RETURN(refreshPercent, grants.integer("refreshPercent", 80, 10, 95));
  c.grants.refreshPercent = static_cast<int>(refreshPercent);

  ConfigNode events;
  TESSERA_ASSIGN_OR_RETURN(events, root.child("events"));
  TESSERA_RETURN_IF_ERROR(events.rejectUnknown({"file", "maxQueued", "maxWait"}));
  if (events.has("file")) {
    std::string file;
    TESSERA_ASSIGN_OR_RETURN(file, events.requiredString("file"));
    c.events.file = file == "-" ? std::filesystem::path("-") : resolve(baseDir, file);
  }
  std::int64_t maxQueued = 0;
  TESSERA_ASSIGN_OR_RETURN(maxQueued, events.integer("maxQueued", 10'000, 1, 1'000'000));
  c.events.maxQueued = static_cast<std::size_t>(maxQueued);
  TESSERA_ASSIGN_OR_RETURN(c.events.maxWait, events.duration("maxWait", c.events.maxWait));
  if (c.events.maxWait > kMaxEventWait) {
    // A decision waits this long when the store falls behind; the edge is waiting too.
    return events.errorAt("maxWait", "must be at most 30s");
  }

  ConfigNode log;
  TESSERA_ASSIGN_OR_RETURN(log, root.child("log"));
  TESSERA_RETURN_IF_ERROR(log.rejectUnknown({"level", "format"}));
  TESSERA_ASSIGN_OR_RETURN(c.logLevel, log.string("level", c.logLevel));
  TESSERA_ASSIGN_OR_RETURN(c.logFormat, log.string("format", c.logFormat));

  if (auto v = validateHubConfig(c); !v) {
    // Locate policy errors at the keys section, where they are fixed.
    return keys.errorAt("", v.error().message);
  }
  return c;
}

Result<HubConfig> loadHubConfig(const std::filesystem::path& path) {
  std::string text;
  TESSERA_ASSIGN_OR_RETURN(text, readConfigFile(path));
  std::error_code ec;
  auto base = std::filesystem::absolute(path, ec).parent_path();
  return parseHubConfig(text, path.string(), base);
}

Result<store::Store> openConfiguredStore(const HubConfig& config) {
  return config.postgresUrl ? store::openPostgresStore(*config.postgresUrl)
                            : store::openSqliteStore(config.sqlitePath);
}

Result<void> validateHubConfig(const HubConfig& c) {
  if (c.keys.algorithms.empty()) {
    return fail(ErrorCode::kConfigInvalid, "at least one signing algorithm is required");
  }
  if (c.keys.maxTokenLifetime < std::chrono::seconds(10)) {
    return fail(ErrorCode::kConfigInvalid, "maxTokenLifetime must be at least 10s");
  }
  if (c.keys.rotationPeriod < c.keys.prepublish + std::chrono::minutes(1) && !c.devMode) {
    return fail(ErrorCode::kConfigInvalid,
                "rotationPeriod must exceed prepublish by at least 1m, or keys would rotate "
                "before their successor is published");
  }
  if (c.keys.rotationPeriod < c.keys.maxTokenLifetime && !c.devMode) {
    return fail(ErrorCode::kConfigInvalid,
                "rotationPeriod must be at least maxTokenLifetime, or more than two keys per "
                "algorithm would be published at once");
  }
  return {};
}

}  // namespace tessera::hub
