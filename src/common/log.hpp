// Process-wide logging set-up (spdlog). Callers log with spdlog::info(...) etc.; never log a
// secret or a whole token — log crypto::fingerprint() of it instead.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/result.hpp"

namespace tessera {

// level: trace, debug, info, warn, error, off. format: "text" or "json" (one object per line).
Result<void> initLogging(std::string_view level, std::string_view format = "text");

}  // namespace tessera
