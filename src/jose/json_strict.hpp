// Strict JSON parsing for untrusted JOSE input (token headers and claims, JWKs, JWKS): rejects
// duplicate member names at any depth, trailing data, nesting beyond a limit, oversize input and
// invalid UTF-8. Used by jwk, jws and jwt; usable by anything that parses hostile JSON.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace tessera::jose {

struct JsonLimits {
  std::size_t maxBytes = 512 * 1024;
  // Depth of nested objects/arrays; the top-level value is depth 1.
  std::size_t maxDepth = 16;
};

// Errors: kJsonInvalid (syntax, trailing data, invalid UTF-8, binary), kJsonDuplicateMember,
// kJsonTooDeep, kPayloadTooLarge. Messages give the position, never the input text.
Result<nlohmann::json> parseStrictJson(std::string_view text, const JsonLimits& limits = {});

}  // namespace tessera::jose
