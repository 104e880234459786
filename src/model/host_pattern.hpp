// Server workload host patterns: an exact host name ("api.example.com"), an IP literal, or one
// wildcard label on the left ("*.s3.amazonaws.com", matching exactly one label, as in TLS
// certificates). A bare "*" and top-level wildcards ("*.com") are refused: a server workload must
// never capture all traffic. Used by the model's validation and by decision matching.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera::model {

// Why `pattern` is not an acceptable host pattern, or nullopt when it is.
std::optional<std::string> hostPatternProblem(std::string_view pattern);

bool isWildcardHostPattern(std::string_view pattern) noexcept;

// Whether `host` (compared case-insensitively, a trailing dot ignored) matches a valid pattern.
bool hostMatches(std::string_view pattern, std::string_view host) noexcept;

}  // namespace tessera::model
