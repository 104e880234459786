// Fuzzes JWKS parsing and JWK import (strict JSON, every key type and member check).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jose/jwk.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto jwks = tessera::jose::Jwks::parse(text);
  if (jwks) {
    for (const auto& key : jwks->keys()) {
      (void)key.thumbprint();
      (void)key.toPublicJson().dump();
    }
  }
  (void)tessera::jose::Jwk::parse(text, {.allowPrivate = true});
  return 0;
}
