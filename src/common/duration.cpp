#include "common/duration.hpp"

#include <cstdint>
#include <limits>

namespace tessera {

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument, "'" + std::string(text.substr(0, 40)) +
                                                 "' is not a duration (" + std::string(why) +
                                                 "; use e.g. 90s, 15m, 1h30m, 7d)");
  };
  if (text.empty()) {
    return bad("empty");
  }
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 1000;
  std::int64_t totalMs = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > kMax / 10) {
        return bad("too large");
      }
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start) {
      return bad("expected a number");
    }
    std::int64_t unitMs = 0;
    if (text.substr(i, 2) == "ms") {
      unitMs = 1;
      i += 2;
    } else if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unitMs = 1000;
          break;
        case 'm':
          unitMs = 60'000;
          break;
        case 'h':
          unitMs = 3'600'000;
          break;
        case 'd':
          unitMs = 86'400'000;
          break;
        default:
          return bad("unknown unit");
      }
      ++i;
    } else {
      return bad("missing unit");
    }
    if (n > kMax / unitMs || totalMs > kMax - n * unitMs) {
      return bad("too large");
    }
    totalMs += n * unitMs;
  }
  return std::chrono::milliseconds(totalMs);
}

std::string formatDuration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) {
    return "0s";
  }
  std::string out;
  const std::pair<std::int64_t, const char*> units[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [size, name] : units) {
    if (ms >= size) {
      out += std::to_string(ms / size) + name;
      ms %= size;
    }
  }
  return out;
}

}  // namespace tessera
