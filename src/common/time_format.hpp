// RFC 3339 formatting of time points and durations in words, for operator-facing messages.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace tessera {

// "2026-05-01T10:00:00Z" (UTC, whole seconds).
std::string formatRfc3339(SystemTime t);
std::string formatUnixRfc3339(std::int64_t unixSeconds);

// The same text held in place, for documents written on every access decision: 20 characters
// are past std::string's small-string buffer, so formatRfc3339 allocates and this does not.
struct Rfc3339Text {
  std::array<char, 24> bytes{};
  std::size_t size = 0;
  std::string_view view() const noexcept { return {bytes.data(), size}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: reads as text
};
Rfc3339Text rfc3339Text(SystemTime t);
Rfc3339Text unixRfc3339Text(std::int64_t unixSeconds);

// Parses "2026-05-01T10:00:00Z" or with a numeric offset; fractional seconds are truncated.
Result<SystemTime> parseRfc3339(std::string_view text);

}  // namespace tessera
