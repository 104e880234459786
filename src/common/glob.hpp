// Glob matching for match rules and client workload matchers: '*' matches any run of characters
// (including none), every other character matches itself. Linear time in practice (greedy with
// one backtrack point), so a hostile pattern cannot blow up a decision. Pure.
#pragma once

#include <string_view>

namespace tessera {

bool globMatch(std::string_view pattern, std::string_view text) noexcept;

}  // namespace tessera
