#include "jose/jwk.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <string>

#include "jose/base64url.hpp"
#include "jose/jws.hpp"
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

std::string rsaModulusB64(int bits) {
  crypto::PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  BIGNUM* n = nullptr;
  EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(n);
  return base64UrlEncode(bytes);
}

TEST(Jwk, Rfc7638ThumbprintVector) {
  const Jwk jwk = mustParse(vectors::kRfc7638Jwk);
  EXPECT_EQ(jwk.thumbprint(), vectors::kRfc7638Thumbprint);
  EXPECT_EQ(jwk.kid(), "2011-04-29");
  EXPECT_EQ(jwk.algorithm(), Algorithm::kRs256);
  EXPECT_EQ(jwk.keyType(), KeyType::kRsa);
  EXPECT_EQ(jwk.bits(), 2048);
  EXPECT_FALSE(jwk.hasPrivate());
}

TEST(Jwk, Rfc8037Ed25519ThumbprintAndKeyPair) {
  const Jwk jwk = mustParse(vectors::kEd25519PrivateJwk, kPrivateOk);
  EXPECT_EQ(jwk.thumbprint(), vectors::kEd25519Thumbprint);
  EXPECT_EQ(jwk.keyType(), KeyType::kOkp);
  EXPECT_EQ(jwk.curve(), Curve::kEd25519);
  EXPECT_TRUE(jwk.hasPrivate());
  // x that does not belong to d is refused.
  json bad = json::parse(vectors::kEd25519PrivateJwk);
  bad["x"] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
  auto r = Jwk::fromJson(bad, kPrivateOk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJwkInvalid);
}

TEST(Jwk, ThumbprintIgnoresOptionalMembersAndPrivatePart) {
  const Jwk priv = mustParse(vectors::kA2PrivateJwk, kPrivateOk);
  EXPECT_EQ(priv.thumbprint(), priv.publicOnly().thumbprint());
  EXPECT_EQ(priv.thumbprint(), priv.withKid("other").thumbprint());
}

TEST(Jwk, PrivateMembersNeedExplicitPermission) {
  for (auto text : {vectors::kA2PrivateJwk, vectors::kA4PrivateJwk, vectors::kEd25519PrivateJwk}) {
    auto r = Jwk::parse(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kJwkPrivateMaterial);
    EXPECT_EQ(r.error().message.find("AY5pb7A0"), std::string::npos);
    EXPECT_TRUE(Jwk::parse(text, kPrivateOk).ok());
  }
}

TEST(Jwk, PublicExportNeverCarriesPrivateMembers) {
  for (auto text : {vectors::kA2PrivateJwk, vectors::kA4PrivateJwk, vectors::kEd25519PrivateJwk,
                    vectors::kBilboRsaPrivateJwk}) {
    const Jwk jwk = mustParse(text, kPrivateOk);
    const json pub = jwk.toPublicJson();
    for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      EXPECT_FALSE(pub.contains(m)) << m;
    }
    // The published members are exactly the input's public members.
    const json in = json::parse(text);
    for (const char* m : {"kty", "n", "e", "crv", "x", "y", "kid", "use"}) {
      if (in.contains(m)) {
        EXPECT_EQ(pub.at(m), in.at(m)) << m;
      }
    }
    auto back = Jwk::fromJson(pub);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->thumbprint(), jwk.thumbprint());
  }
}

TEST(Jwk, PrivateExportRoundTripsExactly) {
  for (auto text : {vectors::kA2PrivateJwk, vectors::kA4PrivateJwk, vectors::kEd25519PrivateJwk,
                    vectors::kBilboRsaPrivateJwk, vectors::kBilboEcPrivateJwk}) {
    const Jwk jwk = mustParse(text, kPrivateOk);
    auto exported = jwk.toPrivateJson();
    ASSERT_TRUE(exported.ok());
    const json in = json::parse(text);
    for (auto& [name, value] : in.items()) {
      EXPECT_EQ(exported->at(name), value) << name;
    }
    auto back = Jwk::fromJson(*exported, kPrivateOk);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(back->hasPrivate());
  }
  const Jwk pub = mustParse(vectors::kRfc7638Jwk);
  auto r = pub.toPrivateJson();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Jwk, RsaBelow2048BitsIsRejected) {
  const json small = {{"kty", "RSA"}, {"n", rsaModulusB64(1024)}, {"e", "AQAB"}};
  auto r = Jwk::fromJson(small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJwkKeyTooSmall);
  EXPECT_NE(r.error().message.find("1024"), std::string::npos) << r.error().message;
  crypto::PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  auto viaPkey = Jwk::fromPkey(std::move(pkey));
  ASSERT_FALSE(viaPkey.ok());
  EXPECT_EQ(viaPkey.error().code, ErrorCode::kJwkKeyTooSmall);
}

TEST(Jwk, RsaMembersAreValidated) {
  json base = json::parse(vectors::kRfc7638Jwk);
  auto expectInvalid = [](const json& j, ErrorCode code = ErrorCode::kJwkInvalid) {
    auto r = Jwk::fromJson(j);
    ASSERT_FALSE(r.ok()) << j.dump();
    EXPECT_EQ(r.error().code, code) << r.error().message;
  };
  json j = base;
  j.erase("n");
  expectInvalid(j);
  j = base;
  j["e"] = 65537;
  expectInvalid(j);
  j = base;
  j["n"] = j["n"].get<std::string>() + "==";
  expectInvalid(j);
  j = base;
  j["e"] = "AQAA";  // even exponent
  expectInvalid(j);
  j = base;
  j["e"] = "AQ";  // e = 1
  expectInvalid(j);
  j = base;
  j["alg"] = "ES256";  // alg that does not fit the key
  expectInvalid(j);
  j = base;
  j["alg"] = "RSA-OAEP";
  expectInvalid(j);
  j = base;
  j["use"] = "enc";
  expectInvalid(j);
  j = base;
  j["key_ops"] = {"encrypt"};
  expectInvalid(j);
  j = base;
  j["kid"] = 7;
  expectInvalid(j);
  // An RSA private JWK must carry all CRT members.
  json priv = json::parse(vectors::kA2PrivateJwk);
  priv.erase("qi");
  auto r = Jwk::fromJson(priv, kPrivateOk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJwkInvalid);
  // A private exponent that does not belong to the modulus fails the pairwise check.
  json wrong = json::parse(vectors::kA2PrivateJwk);
  wrong["d"] = json::parse(vectors::kBilboRsaPrivateJwk)["d"];
  EXPECT_FALSE(Jwk::fromJson(wrong, kPrivateOk).ok());
}

TEST(Jwk, EcPointMustBeOnTheCurve) {
  json j = json::parse(vectors::kA3PublicJwk);
  ASSERT_TRUE(Jwk::fromJson(j).ok());
  j["y"] = "x_FFzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";  // one coordinate bit changed
  auto r = Jwk::fromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJwkInvalid);
  EXPECT_NE(r.error().message.find("curve"), std::string::npos) << r.error().message;
  // Coordinates must have the curve's full length.
  j = json::parse(vectors::kA3PublicJwk);
  j["x"] = "AAAA" + j["x"].get<std::string>();
  EXPECT_EQ(Jwk::fromJson(j).error().code, ErrorCode::kJwkInvalid);
  // P-256 coordinates under a P-384 label.
  j = json::parse(vectors::kA3PublicJwk);
  j["crv"] = "P-384";
  EXPECT_EQ(Jwk::fromJson(j).error().code, ErrorCode::kJwkInvalid);
}

TEST(Jwk, EcCoordinatesWithoutLeadingZerosAreAccepted) {
  // Issuers such as Keycloak and PyJWT 2.6 drop leading zero bytes of P-521 coordinates.
  // Search for a generated key whose x starts with a zero byte, strip it, and import that.
  for (int attempt = 0; attempt < 64; ++attempt) {
    auto key = Jwk::generate(Algorithm::kEs512);
    ASSERT_TRUE(key.ok());
    json pub = key->toPublicJson();
    auto x = base64UrlDecode(pub["x"].get<std::string>());
    ASSERT_TRUE(x.ok());
    ASSERT_EQ(x->size(), 66u) << "export always pads to the full size";
    if ((*x)[0] != '\0') {
      continue;
    }
    json shortened = pub;
    shortened["x"] = base64UrlEncode(std::string_view(*x).substr(1));
    auto imported = Jwk::fromJson(shortened);
    ASSERT_TRUE(imported.ok()) << imported.error().describe();
    EXPECT_EQ(imported->toPublicJson()["x"], pub["x"]) << "re-exported at full length";
    EXPECT_TRUE(
        verifyBytes(*imported, Algorithm::kEs512, "msg", *signBytes(*key, Algorithm::kEs512, "msg"))
            .ok());
    return;
  }
  FAIL() << "no P-521 key with a leading zero x byte in 64 tries (expected about half)";
}

TEST(Jwk, UnsupportedTypesAndCurves) {
  auto r = Jwk::parse(vectors::kA1Jwk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJwkUnsupportedKeyType);
  EXPECT_NE(r.error().message.find("HMAC"), std::string::npos);
  EXPECT_EQ(Jwk::parse(R"({"kty":"DSA"})").error().code, ErrorCode::kJwkUnsupportedKeyType);
  EXPECT_EQ(Jwk::parse(R"({"n":"x"})").error().code, ErrorCode::kJwkInvalid);
  EXPECT_EQ(Jwk::parse(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})").error().code,
            ErrorCode::kJwkUnsupportedCurve);
  EXPECT_EQ(Jwk::parse(R"({"kty":"OKP","crv":"Ed448","x":"AA"})").error().code,
            ErrorCode::kJwkUnsupportedCurve);
  EXPECT_EQ(Jwk::parse(R"({"kty":"OKP","crv":"X25519","x":"AA"})").error().code,
            ErrorCode::kJwkUnsupportedCurve);
  EXPECT_EQ(Jwk::parse(R"({"kty":"EC","crv":"Ed25519","x":"AA"})").error().code,
            ErrorCode::kJwkUnsupportedCurve);
  EXPECT_EQ(Jwk::parse("[]").error().code, ErrorCode::kJwkInvalid);
  EXPECT_EQ(Jwk::parse(R"({"kty":"RSA","kty":"EC"})").error().code,
            ErrorCode::kJsonDuplicateMember);
}

class JwkGenerate : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwkGenerate, ProducesAMatchingKeyWithThumbprintKid) {
  const Algorithm alg = GetParam();
  auto jwk = Jwk::generate(alg);
  ASSERT_TRUE(jwk.ok()) << jwk.error().describe();
  EXPECT_TRUE(jwk->hasPrivate());
  EXPECT_EQ(jwk->keyType(), requiredKeyType(alg));
  EXPECT_EQ(jwk->curve(), requiredCurve(alg));
  EXPECT_EQ(jwk->kid(), jwk->thumbprint());
  EXPECT_EQ(jwk->thumbprint().size(), 43u);
  EXPECT_EQ(jwk->algorithm(), alg);
  EXPECT_EQ(jwk->use(), "sig");
  EXPECT_TRUE(jwk->checkAlgorithm(alg).ok());
  const Jwk pub = jwk->publicOnly();
  EXPECT_FALSE(pub.hasPrivate());
  EXPECT_EQ(pub.kid(), jwk->kid());
  // Private JWK and PEM both round-trip to the same key.
  auto priv = jwk->toPrivateJson();
  ASSERT_TRUE(priv.ok());
  auto back = Jwk::fromJson(*priv, kPrivateOk);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->thumbprint(), jwk->thumbprint());
  auto pem = jwk->privatePem();
  ASSERT_TRUE(pem.ok());
  EXPECT_NE(pem->find("BEGIN PRIVATE KEY"), std::string::npos);
  auto fromPem = Jwk::fromPem(*pem, kPrivateOk);
  ASSERT_TRUE(fromPem.ok()) << fromPem.error().describe();
  EXPECT_TRUE(fromPem->hasPrivate());
  EXPECT_EQ(fromPem->thumbprint(), jwk->thumbprint());
  EXPECT_EQ(Jwk::fromPem(*pem).error().code, ErrorCode::kJwkPrivateMaterial);
  auto fromPub = Jwk::fromPem(jwk->publicPem());
  ASSERT_TRUE(fromPub.ok());
  EXPECT_FALSE(fromPub->hasPrivate());
  EXPECT_EQ(fromPub->thumbprint(), jwk->thumbprint());
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwkGenerate, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& p) { return std::string(algorithmName(p.param)); });

TEST(Jwk, GenerateOptions) {
  auto unbound = Jwk::generate(Algorithm::kEs256, {.kid = "k1", .bindAlgorithm = false});
  ASSERT_TRUE(unbound.ok());
  EXPECT_EQ(unbound->kid(), "k1");
  EXPECT_FALSE(unbound->algorithm().has_value());
  auto tooSmall = Jwk::generate(Algorithm::kRs256, {.rsaBits = 1024});
  ASSERT_FALSE(tooSmall.ok());
  EXPECT_EQ(tooSmall.error().code, ErrorCode::kInvalidArgument);
}

TEST(Jwk, PemErrors) {
  auto r = Jwk::fromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJwkInvalid);
  EXPECT_FALSE(Jwk::fromPem("").ok());
  // Encrypted PEM is refused without prompting for a passphrase.
  auto key = Jwk::generate(Algorithm::kEs256);
  ASSERT_TRUE(key.ok());
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  char pass[] = "passphrase";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key->pkey(), EVP_aes_256_cbc(), pass,
                                          sizeof pass - 1, nullptr, nullptr),
            1);
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  auto enc = Jwk::fromPem(std::string_view(mem->data, mem->length), kPrivateOk);
  ASSERT_FALSE(enc.ok());
  EXPECT_EQ(enc.error().code, ErrorCode::kJwkInvalid);
}

TEST(Jwk, CheckAlgorithmFollowsTheKey) {
  const Jwk rsa = mustParse(vectors::kRfc7638Jwk);  // bound to RS256
  EXPECT_TRUE(rsa.checkAlgorithm(Algorithm::kRs256).ok());
  EXPECT_EQ(rsa.checkAlgorithm(Algorithm::kPs256).error().code, ErrorCode::kTokenAlgKeyMismatch);
  EXPECT_EQ(rsa.checkAlgorithm(Algorithm::kEs256).error().code, ErrorCode::kTokenAlgKeyMismatch);
  const Jwk unbound = rsa.withAlgorithm(std::nullopt);
  for (Algorithm a : {Algorithm::kRs256, Algorithm::kRs384, Algorithm::kRs512, Algorithm::kPs256,
                      Algorithm::kPs384, Algorithm::kPs512}) {
    EXPECT_TRUE(unbound.isCompatible(a)) << algorithmName(a);
  }
  EXPECT_FALSE(unbound.isCompatible(Algorithm::kEdDsa));
  const Jwk p256 = mustParse(vectors::kA3PublicJwk);
  EXPECT_TRUE(p256.isCompatible(Algorithm::kEs256));
  EXPECT_FALSE(p256.isCompatible(Algorithm::kEs384));
  EXPECT_FALSE(p256.isCompatible(Algorithm::kEs512));
  EXPECT_FALSE(p256.isCompatible(Algorithm::kRs256));
}

TEST(Jwks, SkipsUnusableKeysWithReasons) {
  json keys = json::array();
  keys.push_back(json::parse(vectors::kRfc7638Jwk));   // 0 ok
  keys.push_back(json::parse(vectors::kA3PublicJwk));  // 1 ok
  keys.push_back(json::parse(vectors::kA1Jwk));        // 2 oct
  keys.push_back({{"kty", "RSA"}, {"kid", "small"}, {"n", rsaModulusB64(1024)}, {"e", "AQAB"}});
  json enc = json::parse(vectors::kRfc7638Jwk);
  enc["use"] = "enc";
  enc["kid"] = "enc-key";
  keys.push_back(enc);                                              // 4 use enc
  keys.push_back({{"kty", "XYZ"}});                                 // 5 kty
  keys.push_back({{"kty", "OKP"}, {"crv", "Ed448"}, {"x", "AA"}});  // 6 crv
  keys.push_back({{"kty", "RSA"}, {"n", 12}, {"e", "AQAB"}});       // 7 member
  keys.push_back(json::parse(vectors::kA4PrivateJwk));              // 8 private
  keys.push_back("not an object");                                  // 9
  const std::string text = json{{"keys", keys}}.dump();
  auto jwks = Jwks::parse(text);
  ASSERT_TRUE(jwks.ok()) << jwks.error().describe();
  EXPECT_EQ(jwks->size(), 2u);
  ASSERT_EQ(jwks->skipped().size(), 8u);
  const std::vector<std::pair<std::size_t, ErrorCode>> expected = {
      {2, ErrorCode::kJwkUnsupportedKeyType},
      {3, ErrorCode::kJwkKeyTooSmall},
      {4, ErrorCode::kJwkInvalid},
      {5, ErrorCode::kJwkUnsupportedKeyType},
      {6, ErrorCode::kJwkUnsupportedCurve},
      {7, ErrorCode::kJwkInvalid},
      {8, ErrorCode::kJwkPrivateMaterial},
      {9, ErrorCode::kJwkInvalid}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(jwks->skipped()[i].index, expected[i].first);
    EXPECT_EQ(jwks->skipped()[i].code, expected[i].second) << jwks->skipped()[i].reason;
    EXPECT_FALSE(jwks->skipped()[i].reason.empty());
  }
  EXPECT_EQ(jwks->skipped()[1].kid, "small");
  EXPECT_EQ(jwks->skipped()[2].kid, "enc-key");
  ASSERT_NE(jwks->findByKid("2011-04-29"), nullptr);
  EXPECT_EQ(jwks->findByKid("2011-04-29")->thumbprint(), vectors::kRfc7638Thumbprint);
  EXPECT_EQ(jwks->findByKid("small"), nullptr);
  EXPECT_EQ(jwks->findByKid("nope"), nullptr);
  // Published form holds only the usable public keys.
  const json pub = jwks->toPublicJson();
  ASSERT_EQ(pub["keys"].size(), 2u);
  EXPECT_TRUE(Jwks::parse(pub.dump()).ok());
}

TEST(Jwks, FailsWhenNoKeyIsUsable) {
  const std::string text =
      R"({"keys":[{"kty":"oct","kid":"h","k":"AAAA"},{"kty":"OKP","crv":"X448","x":"AA"}]})";
  auto r = Jwks::parse(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kJwksNoUsableKey);
  EXPECT_NE(r.error().message.find("kid \"h\""), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("#1"), std::string::npos) << r.error().message;
  EXPECT_EQ(Jwks::parse(R"({"keys":[]})").error().code, ErrorCode::kJwksNoUsableKey);
}

TEST(Jwks, StructureAndLimits) {
  EXPECT_EQ(Jwks::parse("[]").error().code, ErrorCode::kJwksInvalid);
  EXPECT_EQ(Jwks::parse("{}").error().code, ErrorCode::kJwksInvalid);
  EXPECT_EQ(Jwks::parse(R"({"keys":{}})").error().code, ErrorCode::kJwksInvalid);
  EXPECT_EQ(Jwks::parse(R"({"keys":[],"keys":[]})").error().code, ErrorCode::kJsonDuplicateMember);
  EXPECT_EQ(Jwks::parse(R"({"keys":[]} x)").error().code, ErrorCode::kJsonInvalid);
  json many = json::array();
  for (int i = 0; i < 101; ++i) {
    many.push_back(json::parse(vectors::kA3PublicJwk));
  }
  auto tooMany = Jwks::parse(json{{"keys", many}}.dump());
  ASSERT_FALSE(tooMany.ok());
  EXPECT_EQ(tooMany.error().code, ErrorCode::kJwksInvalid);
  many.erase(many.begin());
  EXPECT_TRUE(Jwks::parse(json{{"keys", many}}.dump()).ok());
  const std::string big = R"({"keys":[],"pad":")" + std::string(512 * 1024, 'a') + "\"}";
  EXPECT_EQ(Jwks::parse(big).error().code, ErrorCode::kJwksInvalid);
  EXPECT_EQ(Jwks::parse(R"({"keys":[]})", {.maxBytes = 5}).error().code, ErrorCode::kJwksInvalid);
}

}  // namespace
}  // namespace tessera::jose
