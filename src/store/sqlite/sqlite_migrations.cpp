#include "store/sqlite/sqlite_migrations.hpp"

namespace tessera::store {

namespace {
constexpr Migration kMigrations[] = {
    {1, "store version counter and signing keys", R"sql(
CREATE TABLE store_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO store_version (id, version) VALUES (1, 0);
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  algorithm TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  sealed_private_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  activates_at INTEGER NOT NULL,
  retires_at INTEGER,
  remove_at INTEGER
);
CREATE INDEX signing_keys_by_algorithm ON signing_keys (algorithm, activates_at);
)sql"},
    {2, "admin tokens", R"sql(
CREATE TABLE admin_tokens (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
)sql"},
};
}  // namespace

std::span<const Migration> sqliteMigrations() {
  return kMigrations;
}

}  // namespace tessera::store
