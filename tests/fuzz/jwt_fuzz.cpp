// Fuzzes JWT verification end to end (segmenting, base64url, strict JSON, header rules, key
// selection, signature, claims) against fixed keys of every family.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "jose/jwt.hpp"

namespace {
const tessera::jose::Jwks& keys() {
  static const tessera::jose::Jwks jwks = [] {
    std::vector<tessera::jose::Jwk> list;
    for (auto alg : {tessera::jose::Algorithm::kRs256, tessera::jose::Algorithm::kEs256,
                     tessera::jose::Algorithm::kEdDsa}) {
      auto key = tessera::jose::Jwk::generate(alg, {.kid = "k"});
      if (key) {
        list.push_back(key->publicOnly());
      }
    }
    return tessera::jose::Jwks(std::move(list));
  }();
  return jwks;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  tessera::jose::JwtValidationOptions options;
  options.issuer = "https://issuer.test";
  options.audiences = {"aud"};
  (void)tessera::jose::verifyJwt(token, keys(), options, tessera::fromUnixSeconds(1'800'000'000));
  return 0;
}
