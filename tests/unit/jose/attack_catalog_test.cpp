// The attack catalog: crafted tokens, most of them carrying a valid signature, each of which must
// be rejected with its own ErrorCode. One ctest entry per attack.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>

#include <functional>
#include <string>
#include <vector>

#include "jose/base64url.hpp"
#include "jose/jws.hpp"
#include "jose/jwt.hpp"

namespace tessera::jose {
namespace {

constexpr std::int64_t kT = 1777629600;  // 2026-05-01T10:00:00Z

struct Keys {
  Jwk rsa;       // RS256, kid "rsa-1"
  Jwk ec;        // ES256, kid "ec-1"
  Jwk attacker;  // ES256, kid "ec-1" too: the attacker knows the kid, not the key
};

const Keys& keys() {
  static const Keys k{Jwk::generate(Algorithm::kRs256, {.kid = "rsa-1"}).value(),
                      Jwk::generate(Algorithm::kEs256, {.kid = "ec-1"}).value(),
                      Jwk::generate(Algorithm::kEs256, {.kid = "ec-1"}).value()};
  return k;
}

const std::string kHeader = R"({"alg":"RS256","kid":"rsa-1","typ":"JWT"})";
const std::string kEcHeader = R"({"alg":"ES256","kid":"ec-1","typ":"JWT"})";

std::string claimsWith(std::string_view extra = "", std::int64_t exp = kT + 300,
                       std::int64_t iat = kT - 10, std::int64_t nbf = kT - 10) {
  std::string c = R"({"iss":"https://issuer.example","sub":"workload","aud":"api://tessera",)";
  c += R"("iat":)" + std::to_string(iat) + R"(,"nbf":)" + std::to_string(nbf) + R"(,"exp":)" +
       std::to_string(exp);
  if (!extra.empty()) {
    c += ",";
    c += extra;
  }
  return c + "}";
}

std::string b64(std::string_view s) {
  return base64UrlEncode(s);
}

// header.payload signed with `signer` under `alg`, whatever the header says.
std::string craft(std::string_view header, std::string_view payload, const Jwk& signer,
                  Algorithm alg) {
  const std::string input = b64(header) + "." + b64(payload);
  return input + "." + b64(signBytes(signer, alg, input).value());
}
std::string rsaSigned(std::string_view header, std::string_view payload) {
  return craft(header, payload, keys().rsa, Algorithm::kRs256);
}
std::string ecSigned(std::string_view header, std::string_view payload) {
  return craft(header, payload, keys().ec, Algorithm::kEs256);
}
std::string unsignedToken(std::string_view header, std::string_view payload) {
  return b64(header) + "." + b64(payload) + ".";
}
std::string hmacWithRsaPublicKey(std::string_view alg, const EVP_MD* md) {
  const std::string input =
      b64(R"({"alg":")" + std::string(alg) + R"(","kid":"rsa-1","typ":"JWT"})") + "." +
      b64(claimsWith());
  const std::string secret = keys().rsa.publicPem();  // the classic key-confusion trick
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64UrlEncode(std::span<const unsigned char>(mac, len));
}
std::string replaceSegment(std::string token, int index, std::string_view value) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) {
    start = token.find('.', start) + 1;
  }
  const std::size_t end = std::min(token.find('.', start), token.size());
  token.replace(start, end - start, value);
  return token;
}
std::string segment(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) {
    start = token.find('.', start) + 1;
  }
  return token.substr(start, std::min(token.find('.', start), token.size()) - start);
}
std::string toStandardBase64(std::string s) {
  for (char& c : s) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  return s;
}
// A valid ES256 token whose signature is re-encoded as ASN.1 DER (what OpenSSL emits natively).
std::string derSignedEs256() {
  const std::string token = ecSigned(kEcHeader, claimsWith());
  const std::string raw = base64UrlDecode(segment(token, 2)).value();
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  const std::string out = replaceSegment(
      token, 2, base64UrlEncode(std::span<const unsigned char>(der, static_cast<size_t>(len))));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}
std::string nonCanonicalSignature() {
  std::string token = rsaSigned(kHeader, claimsWith());
  // 256 signature bytes -> 342 characters; the last one carries 4 unused bits, which must be 0.
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char& last = token.back();
  last = kAlphabet[kAlphabet.find(last) | 1];
  return token;
}

enum class KeySet { kAll, kEcOnly };

struct Attack {
  const char* name;
  std::function<std::string()> token;
  ErrorCode expected;
  KeySet keySet = KeySet::kAll;
};

const std::vector<Attack>& catalog() {
  static const std::vector<Attack> attacks = {
      // alg "none" in any spelling
      {"AlgNoneLower", [] { return unsignedToken(R"({"alg":"none","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgNone},
      {"AlgNoneCapitalized",
       [] { return unsignedToken(R"({"alg":"None","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgNone},
      {"AlgNoneUpper", [] { return unsignedToken(R"({"alg":"NONE","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgNone},
      {"AlgNoneMixed", [] { return unsignedToken(R"({"alg":"nOnE","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgNone},
      {"AlgNoneWithRsaSignature",
       [] { return rsaSigned(R"({"alg":"none","kid":"rsa-1","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgNone},
      // HMAC key confusion: the RSA public key used as an HMAC secret
      {"Hs256WithRsaPublicKeyAsSecret", [] { return hmacWithRsaPublicKey("HS256", EVP_sha256()); },
       ErrorCode::kTokenAlgHmacRejected},
      {"Hs384WithRsaPublicKeyAsSecret", [] { return hmacWithRsaPublicKey("HS384", EVP_sha384()); },
       ErrorCode::kTokenAlgHmacRejected},
      {"Hs512WithRsaPublicKeyAsSecret", [] { return hmacWithRsaPublicKey("HS512", EVP_sha512()); },
       ErrorCode::kTokenAlgHmacRejected},
      {"Hs256LowerCase", [] { return hmacWithRsaPublicKey("hs256", EVP_sha256()); },
       ErrorCode::kTokenAlgHmacRejected},
      // keys offered by the token itself
      {"JkuHeader",
       [] {
         return rsaSigned(
             R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","jku":"https://evil.example/jwks"})",
             claimsWith());
       },
       ErrorCode::kTokenEmbeddedKeyRejected},
      {"X5uHeader",
       [] {
         return rsaSigned(
             R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","x5u":"https://evil.example/c.pem"})",
             claimsWith());
       },
       ErrorCode::kTokenEmbeddedKeyRejected},
      {"EmbeddedJwkSignedByAttacker",
       [] {
         const auto& attacker = keys().attacker;
         const std::string header =
             R"({"alg":"ES256","typ":"JWT","jwk":)" + attacker.toPublicJson().dump() + "}";
         return craft(header, claimsWith(), attacker, Algorithm::kEs256);
       },
       ErrorCode::kTokenEmbeddedKeyRejected},
      {"X5cHeader",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","x5c":["MIIB"]})",
                          claimsWith());
       },
       ErrorCode::kTokenEmbeddedKeyRejected},
      // crit
      {"CritUnknownExtension",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","crit":["exp"],"exp":1})",
                          claimsWith());
       },
       ErrorCode::kTokenCritUnsupported},
      {"CritEmptyArray",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","crit":[]})", claimsWith());
       },
       ErrorCode::kTokenCritUnsupported},
      {"CritNotAnArray",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","crit":"b64"})",
                          claimsWith());
       },
       ErrorCode::kTokenCritUnsupported},
      {"CritNonStringEntry",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","crit":[7]})", claimsWith());
       },
       ErrorCode::kTokenCritUnsupported},
      // b64 (RFC 7797)
      {"B64FalseWithCrit",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","b64":false,"crit":["b64"]})",
                          claimsWith());
       },
       ErrorCode::kTokenCritUnsupported},
      {"B64FalseWithoutCrit",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","b64":false})", claimsWith());
       },
       ErrorCode::kTokenHeaderInvalid},
      // duplicate members and trailing data
      {"DuplicateAlgMember",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","alg":"none"})",
                          claimsWith());
       },
       ErrorCode::kJsonDuplicateMember},
      {"DuplicateAlgMemberEscaped",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","\u0061lg":"HS256"})",
                          claimsWith());
       },
       ErrorCode::kJsonDuplicateMember},
      {"DuplicateSubClaim", [] { return rsaSigned(kHeader, claimsWith(R"("sub":"admin")")); },
       ErrorCode::kJsonDuplicateMember},
      {"DuplicateNestedClaim",
       [] { return rsaSigned(kHeader, claimsWith(R"("k8s":{"ns":"a","ns":"kube-system"})")); },
       ErrorCode::kJsonDuplicateMember},
      {"TrailingDataAfterHeaderJson",
       [] { return rsaSigned(kHeader + R"({"alg":"none"})", claimsWith()); },
       ErrorCode::kJsonInvalid},
      {"TrailingDataAfterPayloadJson",
       [] { return rsaSigned(kHeader, claimsWith() + R"({"sub":"admin"})"); },
       ErrorCode::kJsonInvalid},
      {"InvalidUtf8InClaims",
       [] { return rsaSigned(kHeader, claimsWith("\"name\":\"\xc3\x28\"")); },
       ErrorCode::kJsonInvalid},
      // structure
      {"TwoSegments",
       [] {
         const std::string t = rsaSigned(kHeader, claimsWith());
         return t.substr(0, t.rfind('.'));
       },
       ErrorCode::kTokenSegmentCount},
      {"FourSegments", [] { return rsaSigned(kHeader, claimsWith()) + ".AAAA"; },
       ErrorCode::kTokenSegmentCount},
      {"FiveSegmentsJwe", [] { return std::string("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"); },
       ErrorCode::kTokenSegmentCount},
      {"OneSegment", [] { return b64(kHeader); }, ErrorCode::kTokenSegmentCount},
      {"EmptyHeaderSegment", [] { return replaceSegment(rsaSigned(kHeader, claimsWith()), 0, ""); },
       ErrorCode::kTokenMalformed},
      {"EmptyToken", [] { return std::string(); }, ErrorCode::kTokenSegmentCount},
      {"HeaderNotAnObject", [] { return rsaSigned(R"(["RS256"])", claimsWith()); },
       ErrorCode::kTokenHeaderInvalid},
      {"HeaderAString", [] { return rsaSigned(R"("RS256")", claimsWith()); },
       ErrorCode::kTokenHeaderInvalid},
      {"HeaderWithoutAlg", [] { return rsaSigned(R"({"kid":"rsa-1","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenHeaderInvalid},
      {"AlgNotAString",
       [] { return rsaSigned(R"({"alg":["RS256"],"kid":"rsa-1","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenHeaderInvalid},
      {"KidNotAString",
       [] { return rsaSigned(R"({"alg":"RS256","kid":["rsa-1"],"typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenHeaderInvalid},
      {"PayloadAJsonArray", [] { return rsaSigned(kHeader, R"([{"sub":"admin"}])"); },
       ErrorCode::kTokenPayloadInvalid},
      {"PayloadAJsonString", [] { return rsaSigned(kHeader, R"("admin")"); },
       ErrorCode::kTokenPayloadInvalid},
      {"PayloadNotJson", [] { return rsaSigned(kHeader, "hello"); }, ErrorCode::kJsonInvalid},
      {"DeeplyNestedClaims",
       [] {
         return rsaSigned(kHeader,
                          claimsWith("\"x\":" + std::string(200, '[') + std::string(200, ']')));
       },
       ErrorCode::kJsonTooDeep},
      {"DeeplyNestedHeader",
       [] {
         return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT","x":)" +
                              std::string(50, '[') + std::string(50, ']') + "}",
                          claimsWith());
       },
       ErrorCode::kJsonTooDeep},
      // base64url strictness
      {"PaddingInHeader",
       [] {
         const std::string t =
             rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"JWT" })", claimsWith());
         return replaceSegment(t, 0, segment(t, 0) + "==");
       },
       ErrorCode::kBase64Invalid},
      {"PaddingInSignature",
       [] {
         const std::string t = rsaSigned(kHeader, claimsWith());
         return t + "==";
       },
       ErrorCode::kBase64Invalid},
      {"StandardBase64InSignature",
       [] {
         // Sign until the signature contains '-' or '_', then use the standard alphabet.
         for (int i = 0;; ++i) {
           const std::string t = rsaSigned(kHeader, claimsWith("\"n\":" + std::to_string(i)));
           const std::string sig = segment(t, 2);
           if (sig.find_first_of("-_") != std::string::npos) {
             return replaceSegment(t, 2, toStandardBase64(sig));
           }
         }
       },
       ErrorCode::kBase64Invalid},
      {"SlashInPayload",
       [] {
         const std::string t = rsaSigned(kHeader, claimsWith());
         return replaceSegment(t, 1, segment(t, 1).insert(4, "/"));
       },
       ErrorCode::kBase64Invalid},
      {"NonCanonicalSignatureBits", nonCanonicalSignature, ErrorCode::kBase64Invalid},
      {"WhitespaceInToken", [] { return rsaSigned(kHeader, claimsWith()) + "\n"; },
       ErrorCode::kBase64Invalid},
      // signatures
      {"EmptySignature",
       [] {
         const std::string t = rsaSigned(kHeader, claimsWith());
         return t.substr(0, t.rfind('.') + 1);
       },
       ErrorCode::kTokenSignatureInvalid},
      {"Es256SignatureOfWrongLength",
       [] {
         const std::string t = ecSigned(kEcHeader, claimsWith());
         return replaceSegment(t, 2, b64(base64UrlDecode(segment(t, 2)).value().substr(0, 63)));
       },
       ErrorCode::kTokenSignatureInvalid},
      {"Es256SignatureDerEncoded", derSignedEs256, ErrorCode::kTokenSignatureInvalid},
      {"SignatureByAttackerKeyWithKnownKid",
       [] { return craft(kEcHeader, claimsWith(), keys().attacker, Algorithm::kEs256); },
       ErrorCode::kTokenSignatureInvalid},
      {"PayloadSwappedAfterSigning",
       [] {
         const std::string t = rsaSigned(kHeader, claimsWith());
         return replaceSegment(t, 1, b64(claimsWith(R"("admin":true)")));
       },
       ErrorCode::kTokenSignatureInvalid},
      {"RsaSignatureTruncated",
       [] {
         const std::string t = rsaSigned(kHeader, claimsWith());
         return replaceSegment(t, 2, b64(base64UrlDecode(segment(t, 2)).value().substr(1)));
       },
       ErrorCode::kTokenSignatureInvalid},
      // algorithm / key binding
      {"Es256HeaderWithRsaKey",
       [] { return rsaSigned(R"({"alg":"ES256","kid":"rsa-1","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgKeyMismatch},
      {"Rs256TokenAgainstEs256Key",
       [] { return rsaSigned(R"({"alg":"RS256","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgKeyMismatch, KeySet::kEcOnly},
      {"Ps256AgainstKeyBoundToRs256",
       [] {
         return craft(R"({"alg":"PS256","kid":"rsa-1","typ":"JWT"})", claimsWith(),
                      keys().rsa.withAlgorithm(std::nullopt), Algorithm::kPs256);
       },
       ErrorCode::kTokenAlgKeyMismatch},
      {"Es384HeaderWithP256Key",
       [] { return ecSigned(R"({"alg":"ES384","kid":"ec-1","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgKeyMismatch},
      {"UnsupportedAlg",
       [] { return rsaSigned(R"({"alg":"ES256K","kid":"rsa-1","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenAlgUnsupported},
      {"AlgNotInAllowList",
       [] {
         return craft(R"({"alg":"RS512","kid":"rsa-1","typ":"JWT"})", claimsWith(),
                      keys().rsa.withAlgorithm(std::nullopt), Algorithm::kRs512);
       },
       ErrorCode::kTokenAlgNotAllowed},
      {"UnknownKid",
       [] { return rsaSigned(R"({"alg":"RS256","kid":"rsa-2","typ":"JWT"})", claimsWith()); },
       ErrorCode::kTokenKeyNotFound},
      // typ
      {"TypMismatch",
       [] { return rsaSigned(R"({"alg":"RS256","kid":"rsa-1","typ":"at+jwt"})", claimsWith()); },
       ErrorCode::kTokenTypMismatch},
      {"TypMissing", [] { return rsaSigned(R"({"alg":"RS256","kid":"rsa-1"})", claimsWith()); },
       ErrorCode::kTokenTypMismatch},
      // claims
      {"Expired", [] { return rsaSigned(kHeader, claimsWith("", kT - 61, kT - 600, kT - 600)); },
       ErrorCode::kTokenExpired},
      {"NotBeforeInFuture",
       [] { return rsaSigned(kHeader, claimsWith("", kT + 600, kT - 10, kT + 120)); },
       ErrorCode::kTokenNotYetValid},
      {"IssuedInFuture",
       [] { return rsaSigned(kHeader, claimsWith("", kT + 600, kT + 120, kT - 10)); },
       ErrorCode::kTokenIssuedInFuture},
      {"ExpiryMissing",
       [] {
         return rsaSigned(
             kHeader, R"({"iss":"https://issuer.example","sub":"workload","aud":"api://tessera"})");
       },
       ErrorCode::kTokenClaimMissing},
      {"ExpiryAsString",
       [] {
         return rsaSigned(kHeader,
                          R"({"iss":"https://issuer.example","sub":"w","aud":"api://tessera",)"
                          R"("exp":"1777629900"})");
       },
       ErrorCode::kTokenClaimInvalid},
      {"LifetimeTooLong",
       [] { return rsaSigned(kHeader, claimsWith("", kT + 86400, kT - 10, kT - 10)); },
       ErrorCode::kTokenLifetimeTooLong},
      {"WrongIssuer",
       [] {
         return rsaSigned(kHeader, R"({"iss":"https://issuer.example.evil","sub":"w",)"
                                   R"("aud":"api://tessera","iat":1777629590,"exp":1777629900})");
       },
       ErrorCode::kTokenIssuerMismatch},
      {"WrongAudience",
       [] {
         return rsaSigned(kHeader, R"({"iss":"https://issuer.example","sub":"w",)"
                                   R"("aud":["api://other","api://tessera2"],"iat":1777629590,)"
                                   R"("exp":1777629900})");
       },
       ErrorCode::kTokenAudienceMismatch},
      {"MissingRequiredSub",
       [] {
         return rsaSigned(kHeader, R"({"iss":"https://issuer.example","aud":"api://tessera",)"
                                   R"("iat":1777629590,"exp":1777629900})");
       },
       ErrorCode::kTokenClaimMissing},
      {"OversizeToken",
       [] { return rsaSigned(kHeader, claimsWith("\"pad\":\"" + std::string(20000, 'a') + "\"")); },
       ErrorCode::kTokenTooLarge},
  };
  return attacks;
}

JwtValidationOptions catalogOptions() {
  JwtValidationOptions o;
  o.issuer = "https://issuer.example";
  o.audiences = {"api://tessera"};
  o.requiredClaims = {"sub"};
  o.typ = "JWT";
  o.maxLifetime = std::chrono::seconds(3600);
  o.allowedAlgorithms = {Algorithm::kRs256, Algorithm::kPs256, Algorithm::kEs256,
                         Algorithm::kEs384};
  return o;
}

class AttackCatalog : public ::testing::TestWithParam<std::size_t> {};

TEST_P(AttackCatalog, IsRejectedWithItsOwnCode) {
  const Attack& attack = catalog()[GetParam()];
  const std::string token = attack.token();
  const Jwks all({keys().rsa.publicOnly(), keys().ec.publicOnly()});
  const Jwks ecOnly({keys().ec.publicOnly()});
  auto r = verifyJwt(token, attack.keySet == KeySet::kAll ? all : ecOnly, catalogOptions(),
                     fromUnixSeconds(kT));
  ASSERT_FALSE(r.ok()) << attack.name << " was accepted";
  EXPECT_EQ(r.error().code, attack.expected) << attack.name << ": got " << r.error().describe()
                                             << ", expected " << errorCodeName(attack.expected);
  EXPECT_FALSE(r.error().message.empty());
  // Messages never echo the token (its signature in particular).
  if (token.size() > 40) {
    EXPECT_EQ(r.error().message.find(token.substr(token.size() - 20)), std::string::npos)
        << r.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(Tokens, AttackCatalog, ::testing::Range<std::size_t>(0, catalog().size()),
                         [](const auto& p) { return std::string(catalog()[p.param].name); });

TEST(AttackCatalogMeta, HasAtLeastThirtyAttacksAndTheBaselineIsAccepted) {
  EXPECT_GE(catalog().size(), 30u);
  const Jwks all({keys().rsa.publicOnly(), keys().ec.publicOnly()});
  for (const std::string& token :
       {rsaSigned(kHeader, claimsWith()), ecSigned(kEcHeader, claimsWith())}) {
    auto r = verifyJwt(token, all, catalogOptions(), fromUnixSeconds(kT));
    EXPECT_TRUE(r.ok()) << r.error().describe();
  }
}

}  // namespace
}  // namespace tessera::jose
