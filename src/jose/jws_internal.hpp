// Internal: the verification core shared by jws.cpp and jwt.cpp (avoids copying options per call).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "jose/jws.hpp"
#include "jose/quote.hpp"

namespace tessera::jose::detail {

Result<VerifiedJws> verifyCompact(std::string_view token, std::span<const Jwk> keys,
                                  std::size_t maxTokenBytes, AlgorithmSet allowed,
                                  const std::string* typ);

}  // namespace tessera::jose::detail
