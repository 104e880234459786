// Opening a store by configuration: the embedded SQLite file (default) or, in a later release,
// PostgreSQL. The hub and the CLI get their repositories from here.
#pragma once

#include <filesystem>
#include <memory>

#include "common/result.hpp"
#include "store/signing_key_repository.hpp"

namespace tessera::store {

struct Store {
  std::shared_ptr<SigningKeyRepository> signingKeys;
  int schemaVersion = 0;
};

// Creates the parent directory if needed and applies pending migrations.
Result<Store> openSqliteStore(const std::filesystem::path& path);

}  // namespace tessera::store
