#include "store/migrations.hpp"

namespace tessera::store {

namespace {

// Version 4 in each dialect: they differ only in the collation of id.
constexpr std::string_view kAccessEventsSqlite = R"sql(
CREATE TABLE access_events (
  id TEXT PRIMARY KEY,
  time_us BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  server_workload TEXT NOT NULL,
  policy TEXT NOT NULL,
  client_workload TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  document TEXT NOT NULL
);
CREATE INDEX access_events_by_time ON access_events (time_us, id);
CREATE INDEX access_events_by_outcome ON access_events (outcome, time_us, id);
CREATE INDEX access_events_by_policy ON access_events (policy, time_us, id);
CREATE INDEX access_events_by_client ON access_events (client_workload, time_us, id);
CREATE INDEX access_events_by_server ON access_events (server_workload, time_us, id);
)sql";
constexpr std::string_view kAccessEventsPostgres = R"sql(
CREATE TABLE access_events (
  id TEXT COLLATE "C" PRIMARY KEY,
  time_us BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  server_workload TEXT NOT NULL,
  policy TEXT NOT NULL,
  client_workload TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  document TEXT NOT NULL
);
CREATE INDEX access_events_by_time ON access_events (time_us, id);
CREATE INDEX access_events_by_outcome ON access_events (outcome, time_us, id);
CREATE INDEX access_events_by_policy ON access_events (policy, time_us, id);
CREATE INDEX access_events_by_client ON access_events (client_workload, time_us, id);
CREATE INDEX access_events_by_server ON access_events (server_workload, time_us, id);
)sql";

constexpr Migration kMigrations[] = {
    {1, "store version counter and signing keys", R"sql(
CREATE TABLE store_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO store_version (id, version) VALUES (1, 0);
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  algorithm TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  sealed_private_jwk TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  activates_at BIGINT NOT NULL,
  retires_at BIGINT,
  remove_at BIGINT
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
    // Writers serialise on the config_revision row (BEGIN IMMEDIATE in SQLite, SELECT ... FOR
    // UPDATE in PostgreSQL); admin event ids are MAX(id) + 1 under that lock.
    {3, "configuration objects, configuration revision and admin events", R"sql(
CREATE TABLE config_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
INSERT INTO config_revision (id, revision) VALUES (1, 0);
CREATE TABLE config_objects (
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  document TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (kind, name)
);
CREATE TABLE admin_events (
  id BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  before_doc TEXT NOT NULL,
  after_doc TEXT NOT NULL,
  revision BIGINT NOT NULL
);
CREATE INDEX admin_events_by_time ON admin_events (at);
CREATE INDEX admin_events_by_kind ON admin_events (kind, id);
)sql"},
    // Access events are ordered by (time_us, id) descending and paged by a cursor on that
    // order, so each filter column is indexed together with it. PostgreSQL compares ids in byte
    // order ("C"), as SQLite does, whatever the database's collation: both backends then page
    // the same way.
    {4, "access events", kAccessEventsSqlite, kAccessEventsPostgres},
};
}  // namespace

std::span<const Migration> schemaMigrations() {
  return kMigrations;
}

Result<void> checkSchemaNotNewer(int current, std::span<const Migration> migrations,
                                 const std::string& where) {
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {
    return fail(ErrorCode::kStoreMigration, "store " + where + " has schema version " +
                                                std::to_string(current) +
                                                ", newer than this binary knows (" +
                                                std::to_string(newest) + "); upgrade tessera");
  }
  return {};
}

Error migrationFailed(const Migration& migration, const Error& cause) {
  return Error{ErrorCode::kStoreMigration, "migration " + std::to_string(migration.version) + " (" +
                                               std::string(migration.description) +
                                               "): " + cause.message};
}

}  // namespace tessera::store
