// Parsing and printing of configuration durations such as "90s", "15m", "1h30m", "720h".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tessera {

// Units: ms, s, m, h, d. At least one component, no sign, no spaces; overflow rejected.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);
// "1h30m", "45s", "250ms".
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace tessera
