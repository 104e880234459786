#include "jose/jws.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "jose/base64url.hpp"
#include "rfc_vectors.hpp"

namespace tessera::jose {
namespace {

using nlohmann::json;

const JwkImportOptions kPrivateOk{.allowPrivate = true};

Jwk mustParse(std::string_view text, const JwkImportOptions& options = {}) {
  auto r = Jwk::parse(text, options);
  EXPECT_TRUE(r.ok()) << r.error().describe();
  return std::move(r).value();
}

std::string decode(std::string_view b64) {
  auto r = base64UrlDecode(b64);
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

std::string join(std::string_view a, std::string_view b, std::string_view c) {
  return std::string(a) + "." + std::string(b) + "." + std::string(c);
}

TEST(JwsVectors, Rfc7515A2Rs256SignsAndVerifies) {
  const Jwk priv = mustParse(vectors::kA2PrivateJwk, kPrivateOk);
  // RSASSA-PKCS1-v1_5 is deterministic: signing reproduces the published signature.
  auto sig = signBytes(priv, Algorithm::kRs256, vectors::kA2SigningInput);
  ASSERT_TRUE(sig.ok()) << sig.error().describe();
  EXPECT_EQ(base64UrlEncode(*sig), vectors::kA2Signature);
  const Jwk pub = priv.publicOnly();
  EXPECT_TRUE(
      verifyBytes(pub, Algorithm::kRs256, vectors::kA2SigningInput, decode(vectors::kA2Signature))
          .ok());
  auto verified = verifyCompact(
      std::string(vectors::kA2SigningInput) + "." + std::string(vectors::kA2Signature), pub);
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->alg, Algorithm::kRs256);
  EXPECT_EQ(verified->payload,
            "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
  EXPECT_EQ(*verified->header, json({{"alg", "RS256"}}));
}

TEST(JwsVectors, Rfc7515A3Es256Verifies) {
  const Jwk pub = mustParse(vectors::kA3PublicJwk);
  auto verified = verifyCompact(vectors::kA3Token, pub);
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->alg, Algorithm::kEs256);
  // One flipped signature bit fails.
  std::string bad(vectors::kA3Token);
  bad[bad.size() - 5] = bad[bad.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verifyCompact(bad, pub).error().code, ErrorCode::kTokenSignatureInvalid);
}

TEST(JwsVectors, Rfc7515A4Es512Verifies) {
  const Jwk priv = mustParse(vectors::kA4PrivateJwk, kPrivateOk);
  auto verified = verifyCompact(vectors::kA4Token, priv.publicOnly());
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->alg, Algorithm::kEs512);
  EXPECT_EQ(verified->payload, "Payload");
  // And the private key signs something its public key accepts (ECDSA is randomized).
  auto token = signCompact(priv, Algorithm::kEs512, "Payload");
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(verifyCompact(*token, priv.publicOnly()).ok());
}

TEST(JwsVectors, Rfc7515A1HmacIsRejectedNotVerified) {
  // The HMAC key itself cannot be imported...
  auto oct = Jwk::parse(vectors::kA1Jwk);
  ASSERT_FALSE(oct.ok());
  EXPECT_EQ(oct.error().code, ErrorCode::kJwkUnsupportedKeyType);
  // ...and an HS256 token is refused against any asymmetric key before any crypto.
  const Jwk rsa = mustParse(vectors::kA2PrivateJwk, kPrivateOk).publicOnly();
  auto r = verifyCompact(vectors::kA1Token, rsa);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTokenAlgHmacRejected);
  EXPECT_FALSE(algorithmFromName("HS256").has_value());
}

TEST(JwsVectors, Rfc7520Section41Rs256) {
  const Jwk priv = mustParse(vectors::kBilboRsaPrivateJwk, kPrivateOk);
  const std::string input =
      std::string(vectors::kCookbook41Header) + "." + std::string(vectors::kCookbookPayload);
  auto sig = signBytes(priv, Algorithm::kRs256, input);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(base64UrlEncode(*sig), vectors::kCookbook41Signature);
  const Jwks set({priv.publicOnly()});
  auto verified = verifyCompact(input + "." + std::string(vectors::kCookbook41Signature), set);
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->key.kid(), "bilbo.baggins@hobbiton.example");
  EXPECT_EQ(verified->payload.substr(0, 8), "It\xe2\x80\x99s a");
}

TEST(JwsVectors, Rfc7520Section42Ps384) {
  const Jwk pub = mustParse(vectors::kBilboRsaPrivateJwk, kPrivateOk).publicOnly();
  auto verified = verifyCompact(
      join(vectors::kCookbook42Header, vectors::kCookbookPayload, vectors::kCookbook42Signature),
      pub);
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->alg, Algorithm::kPs384);
  // The same signature under a PS256 or RS384 header does not verify.
  const std::string ps256 = base64UrlEncode(
      std::string_view(R"({"alg":"PS256","kid":"bilbo.baggins@hobbiton.example"})"));
  EXPECT_EQ(
      verifyCompact(join(ps256, vectors::kCookbookPayload, vectors::kCookbook42Signature), pub)
          .error()
          .code,
      ErrorCode::kTokenSignatureInvalid);
}

TEST(JwsVectors, Rfc7520Section43Es512) {
  const Jwk pub = mustParse(vectors::kBilboEcPrivateJwk, kPrivateOk).publicOnly();
  auto verified = verifyCompact(
      join(vectors::kCookbook43Header, vectors::kCookbookPayload, vectors::kCookbook43Signature),
      pub);
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->alg, Algorithm::kEs512);
}

TEST(JwsVectors, Rfc8037A4Ed25519) {
  const Jwk priv = mustParse(vectors::kEd25519PrivateJwk, kPrivateOk);
  auto sig = signBytes(priv, Algorithm::kEdDsa, vectors::kEd25519SigningInput);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(base64UrlEncode(*sig), vectors::kEd25519Signature);
  auto verified = verifyCompact(
      std::string(vectors::kEd25519SigningInput) + "." + std::string(vectors::kEd25519Signature),
      priv.publicOnly());
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->payload, "Example of Ed25519 signing");
}

class JwsRoundTrip : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwsRoundTrip, SignsAndVerifiesWithGeneratedKeys) {
  const Algorithm alg = GetParam();
  auto key = Jwk::generate(alg);
  ASSERT_TRUE(key.ok());
  auto token = signCompact(*key, alg, "hello world", {.typ = "JWT", .cty = "", .includeKid = true});
  ASSERT_TRUE(token.ok()) << token.error().describe();
  const Jwk pub = key->publicOnly();
  auto verified = verifyCompact(*token, pub);
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->alg, alg);
  EXPECT_EQ(verified->payload, "hello world");
  EXPECT_EQ(verified->header->at("kid"), key->kid());
  EXPECT_EQ(verified->header->at("typ"), "JWT");
  EXPECT_EQ(verified->header->at("alg"), algorithmName(alg));

  // Raw signature sizes are what JWA prescribes.
  const std::string sig = decode(std::string_view(*token).substr(token->rfind('.') + 1));
  const std::size_t expected = alg == Algorithm::kEs256   ? 64
                               : alg == Algorithm::kEs384 ? 96
                               : alg == Algorithm::kEs512 ? 132
                               : alg == Algorithm::kEdDsa ? 64
                                                          : 256;
  EXPECT_EQ(sig.size(), expected);

  // Tampering with the payload breaks the signature.
  std::string tampered = *token;
  const auto dot = tampered.find('.');
  tampered.replace(dot + 1, tampered.find('.', dot + 1) - dot - 1, base64UrlEncode("hello World"));
  EXPECT_EQ(verifyCompact(tampered, pub).error().code, ErrorCode::kTokenSignatureInvalid);

  // Another key of the same kind does not verify it.
  auto other = Jwk::generate(alg, {.kid = key->kid()});
  ASSERT_TRUE(other.ok());
  auto wrongKey = verifyCompact(*token, other->publicOnly());
  ASSERT_FALSE(wrongKey.ok());
  EXPECT_EQ(wrongKey.error().code, ErrorCode::kTokenSignatureInvalid);

  // Public keys cannot sign.
  EXPECT_EQ(signBytes(pub, alg, "x").error().code, ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwsRoundTrip, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& p) { return std::string(algorithmName(p.param)); });

TEST(Jws, UnboundRsaKeyServesEveryRsaAlgorithm) {
  auto key = Jwk::generate(Algorithm::kRs256, {.bindAlgorithm = false});
  ASSERT_TRUE(key.ok());
  for (Algorithm alg : {Algorithm::kRs256, Algorithm::kRs384, Algorithm::kRs512, Algorithm::kPs256,
                        Algorithm::kPs384, Algorithm::kPs512}) {
    auto token = signCompact(*key, alg, "x");
    ASSERT_TRUE(token.ok()) << algorithmName(alg);
    auto verified = verifyCompact(*token, key->publicOnly());
    ASSERT_TRUE(verified.ok()) << algorithmName(alg) << ": " << verified.error().describe();
    EXPECT_EQ(verified->alg, alg);
  }
}

TEST(Jws, EcdsaSignaturesMustBeRawOfExactLength) {
  auto key = Jwk::generate(Algorithm::kEs256);
  ASSERT_TRUE(key.ok());
  const std::string input = "eyJhbGciOiJFUzI1NiJ9.eA";
  auto raw = signBytes(*key, Algorithm::kEs256, input);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 64u);
  EXPECT_TRUE(verifyBytes(*key, Algorithm::kEs256, input, *raw).ok());
  for (std::size_t len : {0u, 63u, 65u, 70u, 72u, 128u}) {
    std::string wrong = raw->substr(0, std::min<std::size_t>(len, 64));
    wrong.resize(len, '\x01');
    auto r = verifyBytes(*key, Algorithm::kEs256, input, wrong);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kTokenSignatureInvalid);
  }
  auto r = verifyBytes(*key, Algorithm::kEs256, input, raw->substr(0, 63));
  EXPECT_NE(r.error().message.find("64 bytes"), std::string::npos) << r.error().message;
  // r = 0, s = 0 never verifies.
  EXPECT_FALSE(verifyBytes(*key, Algorithm::kEs256, input, std::string(64, '\0')).ok());
}

TEST(Jws, KeySelectionByKidAndWithoutKid) {
  auto a = Jwk::generate(Algorithm::kEs256, {.kid = "a"});
  auto b = Jwk::generate(Algorithm::kEs256, {.kid = "b"});
  auto r = Jwk::generate(Algorithm::kRs256, {.kid = "r"});
  ASSERT_TRUE(a.ok() && b.ok() && r.ok());
  const Jwks set({a->publicOnly(), r->publicOnly(), b->publicOnly()});
  auto withKid = signCompact(*b, Algorithm::kEs256, "p");
  ASSERT_TRUE(withKid.ok());
  auto v1 = verifyCompact(*withKid, set);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->key.kid(), "b");
  // No kid: every compatible key is tried.
  auto noKid = signCompact(*b, Algorithm::kEs256, "p", {.typ = "", .cty = "", .includeKid = false});
  ASSERT_TRUE(noKid.ok());
  auto v2 = verifyCompact(*noKid, set);
  ASSERT_TRUE(v2.ok()) << v2.error().describe();
  EXPECT_EQ(v2->key.kid(), "b");
  // Unknown kid.
  auto c = Jwk::generate(Algorithm::kEs256, {.kid = "c"});
  auto unknown = signCompact(*c, Algorithm::kEs256, "p");
  EXPECT_EQ(verifyCompact(*unknown, set).error().code, ErrorCode::kTokenKeyNotFound);
  // No kid and no key verifies it.
  auto unknownNoKid =
      signCompact(*c, Algorithm::kEs256, "p", {.typ = "", .cty = "", .includeKid = false});
  auto e = verifyCompact(*unknownNoKid, set);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kTokenSignatureInvalid);
  EXPECT_NE(e.error().message.find("2 compatible keys"), std::string::npos) << e.error().message;
  // No keys at all.
  EXPECT_EQ(verifyCompact(*noKid, Jwks()).error().code, ErrorCode::kTokenKeyNotFound);
}

TEST(Jws, AllowListAndTyp) {
  auto key = Jwk::generate(Algorithm::kPs256);
  ASSERT_TRUE(key.ok());
  auto token = signCompact(*key, Algorithm::kPs256, "{}", {.typ = "application/JWT"});
  ASSERT_TRUE(token.ok());
  JwsVerifyOptions options;
  options.allowedAlgorithms = {Algorithm::kRs256, Algorithm::kEs256};
  auto r = verifyCompact(*token, *key, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTokenAlgNotAllowed);
  EXPECT_NE(r.error().message.find("[RS256, ES256]"), std::string::npos) << r.error().message;
  options.allowedAlgorithms.insert(Algorithm::kPs256);
  options.typ = "jwt";
  EXPECT_TRUE(verifyCompact(*token, *key, options).ok());
  options.typ = "at+jwt";
  EXPECT_EQ(verifyCompact(*token, *key, options).error().code, ErrorCode::kTokenTypMismatch);
}

TEST(Jws, CachedVerificationContextsFollowKeyIdentity) {
  // Keys come and go (JWKS rotation); a cached context must never verify for a different key, even
  // one allocated at the same address.
  std::string previousToken;
  for (int i = 0; i < 24; ++i) {
    const Algorithm alg = i % 2 == 0 ? Algorithm::kEs256 : Algorithm::kEdDsa;
    auto key = Jwk::generate(i % 3 == 0 ? Algorithm::kEs256 : alg, {.kid = "same"});
    ASSERT_TRUE(key.ok());
    const Algorithm used = key->algorithm().value();
    auto token = signCompact(*key, used, "p");
    ASSERT_TRUE(token.ok());
    const Jwk pub = key->publicOnly();
    EXPECT_TRUE(verifyCompact(*token, pub).ok());
    if (!previousToken.empty()) {
      EXPECT_FALSE(verifyCompact(previousToken, pub).ok()) << i;
    }
    previousToken = *token;
  }
  // Many threads share one key.
  auto key = Jwk::generate(Algorithm::kEs256);
  ASSERT_TRUE(key.ok());
  auto good = signCompact(*key, Algorithm::kEs256, "p");
  std::string bad = *good;
  bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';
  const Jwk pub = key->publicOnly();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        failures += verifyCompact(*good, pub).ok() ? 0 : 1;
        failures += verifyCompact(bad, pub).ok() ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
}

TEST(Jws, TypMatching) {
  EXPECT_TRUE(typMatches("JWT", "JWT"));
  EXPECT_TRUE(typMatches("jwt", "JWT"));
  EXPECT_TRUE(typMatches("application/jwt", "JWT"));
  EXPECT_TRUE(typMatches("Application/At+JWT", "at+jwt"));
  EXPECT_TRUE(typMatches("at+jwt", "application/at+jwt"));
  EXPECT_FALSE(typMatches("at+jwt", "JWT"));
  EXPECT_FALSE(typMatches("application/", "JWT"));
  EXPECT_FALSE(typMatches("text/jwt", "JWT"));
  EXPECT_FALSE(typMatches("", "JWT"));
}

}  // namespace
}  // namespace tessera::jose
