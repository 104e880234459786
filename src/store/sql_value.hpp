// A parameter or column value passed to the SQL backends (SQLite, PostgreSQL).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

namespace tessera::store {

using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

}  // namespace tessera::store
