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

// Version 5, SQLite only: the four filter indexes cost as much per event as storing it, so
// filters go through chunks instead (store/sqlite/access_event_chunks.hpp). Rows get a stable
// number (seq, which VACUUM keeps, unlike an implicit rowid) for the chunks to name; events
// already stored become one chunk each per filter column.
constexpr std::string_view kAccessEventChunksSqlite = R"sql(
CREATE TABLE access_events_v5 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  time_us BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  server_workload TEXT NOT NULL,
  policy TEXT NOT NULL,
  client_workload TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  document TEXT NOT NULL
);
INSERT INTO access_events_v5 (id, time_us, outcome, reason_code, server_workload, policy,
                              client_workload, source_ip, document)
  SELECT id, time_us, outcome, reason_code, server_workload, policy, client_workload, source_ip,
         document
  FROM access_events ORDER BY time_us, id;
DROP TABLE access_events;
ALTER TABLE access_events_v5 RENAME TO access_events;
CREATE INDEX access_events_by_time ON access_events (time_us, id);
CREATE TABLE access_event_chunks (
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  max_time_us BIGINT NOT NULL,
  max_id TEXT NOT NULL,
  min_time_us BIGINT NOT NULL,
  first_seq BIGINT NOT NULL,
  members BLOB NOT NULL,
  PRIMARY KEY (name, value, max_time_us, max_id)
) WITHOUT ROWID;
INSERT INTO access_event_chunks
  SELECT 'policy', policy, time_us, id, time_us, seq, x'01' FROM access_events;
INSERT INTO access_event_chunks
  SELECT 'client_workload', client_workload, time_us, id, time_us, seq, x'01' FROM access_events;
INSERT INTO access_event_chunks
  SELECT 'server_workload', server_workload, time_us, id, time_us, seq, x'01' FROM access_events;
INSERT INTO access_event_chunks
  SELECT 'outcome', outcome, time_us, id, time_us, seq, x'01' FROM access_events;
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
    // PostgreSQL keeps its filter indexes: its inserts are not where a hub spends its time.
    {5, "access event filter chunks (SQLite)", kAccessEventChunksSqlite, "SELECT 1"},
    // A query with several filters narrows each chunk of the first by the chunks of the others
    // that cover the same rows.
    {6, "access event chunks by row (SQLite)",
     "CREATE INDEX access_event_chunks_by_row ON access_event_chunks (name, value, first_seq);",
     "SELECT 1"},
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
