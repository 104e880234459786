// RFC 3339 formatting of time points and durations in words, for operator-facing messages.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace tessera {

// "2026-05-01T10:00:00Z" (UTC, whole seconds).
std::string formatRfc3339(SystemTime t);
std::string formatUnixRfc3339(std::int64_t unixSeconds);

// Parses "2026-05-01T10:00:00Z" or with a numeric offset; fractional seconds are truncated.
Result<SystemTime> parseRfc3339(std::string_view text);

}  // namespace tessera
