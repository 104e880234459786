// The store schema as ordered migrations, applied at start by openSqliteStore() and
// openPostgresStore(). One list serves both backends: the SQL is written in the subset both
// dialects read the same way (BIGINT has integer affinity in SQLite). A migration that needs
// dialect-specific SQL gets a per-backend variant at that version.
#pragma once

#include <span>

#include "store/sqlite/sqlite_db.hpp"  // Migration

namespace tessera::store {

std::span<const Migration> schemaMigrations();

}  // namespace tessera::store
