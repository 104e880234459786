// Opening a store by configuration: the embedded SQLite file (default) or PostgreSQL (several
// hub replicas on one database). The hub and the CLI get their repositories from here.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/access_event_repository.hpp"
#include "store/admin_token_repository.hpp"
#include "store/config_repository.hpp"
#include "store/signing_key_repository.hpp"

namespace tessera::store {

struct Store {
  std::shared_ptr<SigningKeyRepository> signingKeys;
  std::shared_ptr<AdminTokenRepository> adminTokens;
  std::shared_ptr<ConfigRepository> config;
  std::shared_ptr<AccessEventRepository> accessEvents;
  // The same events on a connection of its own, for the one thread that stores them in batches:
  // a batch neither waits for request handlers on the shared connection nor holds them up.
  std::shared_ptr<AccessEventRepository> accessEventWriter;
  int schemaVersion = 0;
};

// Creates the parent directory if needed and applies pending migrations.
Result<Store> openSqliteStore(const std::filesystem::path& path);

// Connects (libpq connection string or postgresql:// URL) and applies pending migrations. Hub
// replicas sharing one database see each other's changes through the store version counter.
Result<Store> openPostgresStore(const std::string& conninfo);

}  // namespace tessera::store
