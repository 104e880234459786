// libFuzzer target for token input: compact JWS/JWT verification against fixed keys, the strict
// JSON scanner and the scan-built DOM against nlohmann's SAX parser (they must agree), and
// base64url canonicity. Inputs starting
// with '!' are "header\npayload" texts signed with a fixed Ed25519 key, so that claims validation
// is reached with a valid signature.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "jose/jws.hpp"
#include "jose/jwt.hpp"

namespace {

using namespace tessera;
using namespace tessera::jose;

constexpr std::int64_t kNow = 1777629600;

struct Fixture {
  Jwk signer = Jwk::generate(Algorithm::kEdDsa, {.kid = "ed"}).value();
  Jwks keys{{Jwk::generate(Algorithm::kRs256, {.kid = "rsa"}).value().publicOnly(),
             Jwk::generate(Algorithm::kEs256, {.kid = "ec"}).value().publicOnly(),
             signer.publicOnly()}};
  JwtValidationOptions options = [] {
    JwtValidationOptions o;
    o.issuer = "https://issuer.example";
    o.audiences = {"api://tessera", "sts.amazonaws.com"};
    o.requiredClaims = {"sub"};
    o.maxLifetime = std::chrono::seconds(3600);
    return o;
  }();
};

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void exerciseJson(std::string_view text) {
  const JsonLimits limits{.maxBytes = 64 * 1024, .maxDepth = 8};
  auto dom = parseStrictJsonWithSax(text, limits);
  JsonObjectScan scan;
  auto kind = scanStrictJson(text, limits, &scan);
  check(dom.ok() == kind.ok());
  // parseStrictJson builds its DOM from the scan: exactly the SAX parser's answer.
  auto fast = parseStrictJson(text, limits);
  check(fast.ok() == dom.ok());
  if (fast.ok()) {
    check(fast->dump() == dom->dump());
  } else {
    check(fast.error().code == dom.error().code && fast.error().message == dom.error().message);
  }
  if (!dom.ok()) {
    check(dom.error().code == kind.error().code);
    return;
  }
  const LazyJson lazy{std::string(text)};
  check(lazy.get() == *dom);
  if (*kind == JsonKind::kObject) {
    check(scan.members().size() == dom->size());
  }
}

void exerciseBase64(std::string_view text) {
  auto decoded = base64UrlDecode(text);
  if (decoded.ok()) {
    check(base64UrlEncode(*decoded) == text);  // canonical: exactly one text per byte string
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input.front() == '!') {
    const std::string_view rest = input.substr(1);
    const std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      return 0;
    }
    const std::string signingInput =
        base64UrlEncode(rest.substr(0, nl)) + "." + base64UrlEncode(rest.substr(nl + 1));
    auto sig = signBytes(fixture.signer, Algorithm::kEdDsa, signingInput);
    check(sig.ok());
    const std::string token = signingInput + "." + base64UrlEncode(*sig);
    auto r = verifyJwt(token, fixture.keys, fixture.options, fromUnixSeconds(kNow));
    if (r.ok()) {
      check(r->claims->is_object());
      (void)r->issuer();
    }
    return 0;
  }
  auto r = verifyJwt(input, fixture.keys, fixture.options, fromUnixSeconds(kNow));
  check(!r.ok() || r->claims->is_object());
  exerciseJson(input);
  exerciseBase64(input);
  return 0;
}
