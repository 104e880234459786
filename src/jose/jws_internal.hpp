// Internal: the verification core shared by jws.cpp and jwt.cpp (avoids copying options per call).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "jose/jws.hpp"

namespace tessera::jose::detail {

Result<VerifiedJws> verifyCompact(std::string_view token, std::span<const Jwk> keys,
                                  std::size_t maxTokenBytes, AlgorithmSet allowed,
                                  const std::string* typ);

// Quoted, cut short, control characters replaced: safe to put attacker text in a message.
std::string quoteForMessage(std::string_view s, std::size_t max = 64);

}  // namespace tessera::jose::detail
