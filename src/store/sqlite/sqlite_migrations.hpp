// The SQLite schema, as ordered migrations applied at start by openSqliteStore().
#pragma once

#include <span>

#include "store/sqlite/sqlite_db.hpp"

namespace tessera::store {

std::span<const Migration> sqliteMigrations();

}  // namespace tessera::store
