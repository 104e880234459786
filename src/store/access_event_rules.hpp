// What the AccessEventRepository backends (SQLite, PostgreSQL) share so that both behave the
// same: the stored time unit, the page cursor and its opaque token, the limit check and the
// duplicate-id error. Used only by the store's access event repositories.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/result.hpp"
#include "store/access_event_repository.hpp"

namespace tessera::store {

// Times are stored as integer microseconds since the Unix epoch (rounded down), fine enough to
// order decisions and small enough for a BIGINT until the year 294,000.
std::int64_t toAccessEventMicros(SystemTime time);
SystemTime fromAccessEventMicros(std::int64_t micros);

// The position after which the next page starts: the last record of the previous page.
struct AccessEventCursor {
  std::int64_t timeMicros = 0;
  std::string id;
};

// The token is the cursor hex-encoded: URL-safe, and opaque to callers.
std::string encodeAccessEventCursor(const AccessEventCursor& cursor);
// nullopt for an empty token; kInvalidArgument for one we did not make.
Result<std::optional<AccessEventCursor>> decodeAccessEventCursor(const std::string& token);

// kInvalidArgument unless 1 <= limit <= kMaxAccessEventPage.
Result<void> checkAccessEventLimit(int limit);

// kAlreadyExists for an id already stored (or twice in one batch).
Error accessEventExists(const std::string& id);
// kNotFound for get() of an unknown id.
Error accessEventMissing(const std::string& id);

}  // namespace tessera::store
