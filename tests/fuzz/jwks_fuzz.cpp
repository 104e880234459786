// libFuzzer target for key input: JWKS documents, single JWKs (public and private) and PEM. Every
// imported key must round-trip through its public JWK with the same RFC 7638 thumbprint.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jose/jwk.hpp"

namespace {

using namespace tessera::jose;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void roundTrip(const Jwk& key) {
  auto back = Jwk::fromJson(key.toPublicJson());
  check(back.ok());
  check(back->thumbprint() == key.thumbprint());
  check(!key.toPublicJson().contains("d"));
  if (key.hasPrivate()) {
    auto priv = key.toPrivateJson();
    check(priv.ok());
    auto again = Jwk::fromJson(*priv, {.allowPrivate = true});
    check(again.ok() && again->thumbprint() == key.thumbprint());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto jwks = Jwks::parse(input); jwks.ok()) {
    check(!jwks->empty());
    for (const auto& key : jwks->keys()) {
      check(!key.hasPrivate());
      roundTrip(key);
    }
  }
  if (auto jwk = Jwk::parse(input, {.allowPrivate = true}); jwk.ok()) {
    roundTrip(*jwk);
  }
  if (input.find("-----BEGIN") != std::string_view::npos) {
    if (auto pem = Jwk::fromPem(input, {.allowPrivate = true}); pem.ok()) {
      roundTrip(*pem);
    }
  }
  return 0;
}
