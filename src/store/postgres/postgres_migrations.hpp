// The PostgreSQL schema, as ordered migrations applied at start by openPostgresStore(). Versions
// match the SQLite schema one for one.
#pragma once

#include <span>

#include "store/sqlite/sqlite_db.hpp"

namespace tessera::store {

std::span<const Migration> postgresMigrations();

}  // namespace tessera::store
