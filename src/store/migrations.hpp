// The store schema as ordered migrations, applied at start by openSqliteStore() and
// openPostgresStore(). One list serves both backends: the SQL is written in the subset both
// dialects read the same way (BIGINT has integer affinity in SQLite). A migration that needs
// dialect-specific SQL gets a per-backend variant at that version.
#pragma once

#include <span>

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tessera::store {

// One schema step; versions are applied in order, each once, in its own transaction.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
  // When set, PostgreSQL runs this instead of `sql` (for what the dialects spell differently).
  std::string_view postgresSql = {};
};

std::span<const Migration> schemaMigrations();

// The bookkeeping table every backend creates first.
inline constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

// Refuses a store whose schema is newer than this binary (`where` names the store).
Result<void> checkSchemaNotNewer(int current, std::span<const Migration> migrations,
                                 const std::string& where);

// The error for a migration whose SQL failed.
Error migrationFailed(const Migration& migration, const Error& cause);

}  // namespace tessera::store
