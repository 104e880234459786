#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace tessera {

Result<void> initLogging(std::string_view level, std::string_view format) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return fail(ErrorCode::kConfigInvalid,
                "log level '" + std::string(level) +
                    "' is not one of trace, debug, info, warn, error, off");
  }
  auto logger = spdlog::stderr_color_mt("tessera");
  spdlog::set_default_logger(logger);
  spdlog::set_level(parsed);
  if (format == "json") {
    spdlog::set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","thread":%t,"message":"%v"})",
        spdlog::pattern_time_type::utc);
  } else if (format == "text") {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  } else {
    return fail(ErrorCode::kConfigInvalid,
                "log format '" + std::string(format) + "' is not one of text, json");
  }
  return {};
}

}  // namespace tessera
