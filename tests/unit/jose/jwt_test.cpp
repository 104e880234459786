#include "jose/jwt.hpp"

#include <gtest/gtest.h>

#include <string>

#include "jose/base64url.hpp"
#include "rfc_vectors.hpp"

namespace tessera::jose {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr std::int64_t kT = 1777629600;  // 2026-05-01T10:00:00Z

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new Jwk(Jwk::generate(Algorithm::kRs256).value());
    ec_ = new Jwk(Jwk::generate(Algorithm::kEs256).value());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
  }

  static json claims() {
    return {{"iss", "https://issuer.example"},
            {"sub", "system:serviceaccount:ns:sa"},
            {"aud", "sts.amazonaws.com"},
            {"iat", kT - 10},
            {"nbf", kT - 10},
            {"exp", kT + 600}};
  }
  static JwtValidationOptions options() {
    JwtValidationOptions o;
    o.issuer = "https://issuer.example";
    o.audiences = {"sts.amazonaws.com"};
    return o;
  }
  static std::string sign(const json& c, Algorithm alg = Algorithm::kRs256,
                          std::string_view typ = "JWT") {
    const Jwk& key = alg == Algorithm::kEs256 ? *ec_ : *rsa_;
    auto token = signJwt(key, alg, c, typ);
    EXPECT_TRUE(token.ok()) << token.error().describe();
    return std::move(token).value();
  }
  static Result<VerifiedJwt> verify(const std::string& token, const JwtValidationOptions& o,
                                    std::int64_t now = kT) {
    const Jwks keys({rsa_->publicOnly(), ec_->publicOnly()});
    return verifyJwt(token, keys, o, fromUnixSeconds(now));
  }
  static Error failure(const std::string& token, const JwtValidationOptions& o,
                       std::int64_t now = kT) {
    auto r = verify(token, o, now);
    EXPECT_FALSE(r.ok());
    return r.ok() ? Error{} : r.error();
  }

  static inline Jwk* rsa_ = nullptr;
  static inline Jwk* ec_ = nullptr;
};

TEST_F(JwtTest, AcceptsAValidTokenAndExposesClaims) {
  for (Algorithm alg : {Algorithm::kRs256, Algorithm::kEs256}) {
    auto r = verify(sign(claims(), alg), options());
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->alg, alg);
    EXPECT_EQ(r->issuer(), "https://issuer.example");
    EXPECT_EQ(r->subject(), "system:serviceaccount:ns:sa");
    EXPECT_EQ(r->stringClaim("missing"), "");
    EXPECT_EQ(r->expiresAt, fromUnixSeconds(kT + 600));
    EXPECT_EQ(r->issuedAt, fromUnixSeconds(kT - 10));
    EXPECT_EQ(r->notBefore, fromUnixSeconds(kT - 10));
    EXPECT_EQ(r->header->at("typ"), "JWT");
    EXPECT_EQ(r->header->at("kid"), alg == Algorithm::kRs256 ? rsa_->kid() : ec_->kid());
  }
  // String claims are read from the payload's text; escaped ones decoded, other kinds "".
  auto c = claims();
  c["sub"] = "a\"b\\c\u00e9";
  c["name"] = "plain";
  c["num"] = 7;
  c["obj"] = {{"sub", "x"}};
  auto r = verify(sign(c, Algorithm::kEs256), options());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->subject(), "a\"b\\c\u00e9");
  EXPECT_EQ(r->stringClaim("name"), "plain");
  EXPECT_EQ(r->stringClaim("num"), "");
  EXPECT_EQ(r->stringClaim("obj"), "");
}

TEST_F(JwtTest, SignJwtHeaderAndErrors) {
  const std::string token = sign(claims(), Algorithm::kEs256, "");
  auto header = base64UrlDecode(token.substr(0, token.find('.')));
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(*header, R"({"alg":"ES256","kid":")" + ec_->kid() + R"("})");
  EXPECT_EQ(signJwt(*rsa_, Algorithm::kRs256, json::array()).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(signJwt(*rsa_, Algorithm::kEs256, claims()).error().code,
            ErrorCode::kTokenAlgKeyMismatch);
  EXPECT_EQ(signJwt(rsa_->publicOnly(), Algorithm::kRs256, claims()).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(signJwt(*rsa_, Algorithm::kRs256, json{{"x", "\xff"}}).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(JwtTest, IssuerIsExact) {
  auto o = options();
  json c = claims();
  c["iss"] = "https://issuer.example/";
  const Error e = failure(sign(c), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenIssuerMismatch);
  EXPECT_EQ(e.message,
            "issuer \"https://issuer.example/\" is not the expected \"https://issuer.example\"");
  c.erase("iss");
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimMissing);
  c["iss"] = 42;
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimInvalid);
  o.issuer.reset();
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimInvalid);
  c["iss"] = "anyone";
  EXPECT_TRUE(verify(sign(c), o).ok());
}

TEST_F(JwtTest, AudienceStringOrArrayMatchesAny) {
  auto o = options();
  o.audiences = {"x", "sts.amazonaws.com"};
  json c = claims();
  EXPECT_TRUE(verify(sign(c), o).ok());
  c["aud"] = {"a", "sts.amazonaws.com"};
  EXPECT_TRUE(verify(sign(c), o).ok());
  c["aud"] = {"a", "b"};
  o.audiences = {"sts.amazonaws.com"};
  const Error e = failure(sign(c), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenAudienceMismatch);
  EXPECT_EQ(e.message, R"(audience ["a","b"] does not include any of ["sts.amazonaws.com"])");
  c["aud"] = json::array();
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenAudienceMismatch);
  c["aud"] = {"a", 1};
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimInvalid);
  c["aud"] = json::object();
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimInvalid);
  c.erase("aud");
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimMissing);
  o.audiences.clear();
  EXPECT_TRUE(verify(sign(c), o).ok());
}

TEST_F(JwtTest, ExpiryWithLeewayAndMessage) {
  auto o = options();
  json c = claims();
  c["exp"] = kT;
  c["iat"] = kT - 100;
  c["nbf"] = kT - 100;
  const std::string token = sign(c);
  EXPECT_TRUE(verify(token, o, kT + 59).ok());
  const Error e = failure(token, o, kT + 312);
  EXPECT_EQ(e.code, ErrorCode::kTokenExpired);
  EXPECT_EQ(e.message, "token expired at 2026-05-01T10:00:00Z, 312 s ago; leeway 60 s");
  EXPECT_EQ(failure(token, o, kT + 60).code, ErrorCode::kTokenExpired);
  o.leeway = seconds(0);
  EXPECT_EQ(failure(token, o, kT).code, ErrorCode::kTokenExpired);
  EXPECT_TRUE(verify(token, o, kT - 1).ok());
}

TEST_F(JwtTest, ExpiryIsRequiredUnlessDisabled) {
  auto o = options();
  json c = claims();
  c.erase("exp");
  const Error e = failure(sign(c), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenClaimMissing);
  EXPECT_NE(e.message.find("exp"), std::string::npos);
  o.requireExpiry = false;
  EXPECT_TRUE(verify(sign(c), o).ok());
}

TEST_F(JwtTest, NotBeforeAndIssuedAtWithLeeway) {
  auto o = options();
  json c = claims();
  c["nbf"] = kT + 100;
  c["iat"] = kT;
  Error e = failure(sign(c), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenNotYetValid);
  EXPECT_EQ(e.message, "token not valid before 2026-05-01T10:01:40Z, 100 s from now; leeway 60 s");
  EXPECT_TRUE(verify(sign(c), o, kT + 40).ok());
  c["nbf"] = kT;
  c["iat"] = kT + 120;
  e = failure(sign(c), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenIssuedInFuture);
  EXPECT_EQ(e.message, "token issued at 2026-05-01T10:02:00Z, 120 s in the future; leeway 60 s");
  c["iat"] = kT + 60;
  EXPECT_TRUE(verify(sign(c), o).ok());
}

TEST_F(JwtTest, NumericDatesMustBeNumbers) {
  for (const char* name : {"exp", "nbf", "iat"}) {
    json c = claims();
    c[name] = std::to_string(kT);
    const Error e = failure(sign(c), options());
    EXPECT_EQ(e.code, ErrorCode::kTokenClaimInvalid) << name;
    EXPECT_NE(e.message.find(name), std::string::npos);
    c[name] = nullptr;
    EXPECT_EQ(failure(sign(c), options()).code, ErrorCode::kTokenClaimInvalid) << name;
    c[name] = -5;
    EXPECT_EQ(failure(sign(c), options()).code, ErrorCode::kTokenClaimInvalid) << name;
    c[name] = 1e300;
    EXPECT_EQ(failure(sign(c), options()).code, ErrorCode::kTokenClaimInvalid) << name;
  }
  json c = claims();
  c["exp"] = static_cast<double>(kT + 600) + 0.5;  // fractional NumericDate is fine
  EXPECT_TRUE(verify(sign(c), options()).ok());
}

TEST_F(JwtTest, RequiredClaims) {
  auto o = options();
  o.requiredClaims = {"sub", "jti"};
  json c = claims();
  Error e = failure(sign(c), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenClaimMissing);
  EXPECT_EQ(e.message, "required claim \"jti\" is missing");
  c["jti"] = nullptr;
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimMissing);
  c["jti"] = "id-1";
  EXPECT_TRUE(verify(sign(c), o).ok());
  c["sub"] = 5;
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimInvalid);
}

TEST_F(JwtTest, MaximumLifetime) {
  auto o = options();
  o.maxLifetime = seconds(3600);
  json c = claims();
  c["iat"] = kT - 10;
  c["exp"] = kT - 10 + 3600;
  EXPECT_TRUE(verify(sign(c), o).ok());
  c["exp"] = kT - 10 + 7200;
  const Error e = failure(sign(c), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenLifetimeTooLong);
  EXPECT_NE(e.message.find("7200 s"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("3600 s"), std::string::npos) << e.message;
  c.erase("iat");
  c.erase("nbf");
  EXPECT_EQ(failure(sign(c), o).code, ErrorCode::kTokenClaimMissing);
}

TEST_F(JwtTest, TypCheckWhenConfigured) {
  auto o = options();
  o.typ = "at+jwt";
  EXPECT_TRUE(verify(sign(claims(), Algorithm::kRs256, "application/at+JWT"), o).ok());
  Error e = failure(sign(claims(), Algorithm::kRs256, "JWT"), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenTypMismatch);
  EXPECT_EQ(e.message, "token typ \"JWT\" is not the expected \"at+jwt\"");
  e = failure(sign(claims(), Algorithm::kRs256, ""), o);
  EXPECT_EQ(e.code, ErrorCode::kTokenTypMismatch);
  o.typ.reset();
  EXPECT_TRUE(verify(sign(claims(), Algorithm::kRs256, "anything"), o).ok());
}

TEST_F(JwtTest, AllowedAlgorithms) {
  auto o = options();
  o.allowedAlgorithms = {Algorithm::kEs256};
  EXPECT_TRUE(verify(sign(claims(), Algorithm::kEs256), o).ok());
  EXPECT_EQ(failure(sign(claims(), Algorithm::kRs256), o).code, ErrorCode::kTokenAlgNotAllowed);
}

TEST_F(JwtTest, MaxTokenSize) {
  auto o = options();
  json c = claims();
  c["pad"] = std::string(8000, 'x');
  const std::string token = sign(c);
  EXPECT_TRUE(verify(token, o).ok());
  o.maxTokenBytes = 4096;
  const Error e = failure(token, o);
  EXPECT_EQ(e.code, ErrorCode::kTokenTooLarge);
  EXPECT_NE(e.message.find("4096"), std::string::npos);
}

TEST_F(JwtTest, SingleKeyOverload) {
  const std::string token = sign(claims(), Algorithm::kEs256);
  EXPECT_TRUE(verifyJwt(token, ec_->publicOnly(), options(), fromUnixSeconds(kT)).ok());
  EXPECT_EQ(verifyJwt(token, rsa_->publicOnly(), options(), fromUnixSeconds(kT)).error().code,
            ErrorCode::kTokenKeyNotFound);
  const Jwk unnamed = ec_->publicOnly().withKid("");
  EXPECT_EQ(verifyJwt(token, unnamed, options(), fromUnixSeconds(kT)).error().code,
            ErrorCode::kTokenKeyNotFound);
}

TEST_F(JwtTest, MessagesNeverContainTheToken) {
  json c = claims();
  c["exp"] = kT - 1000;
  const std::string token = sign(c);
  const Error e = failure(token, options());
  EXPECT_EQ(e.code, ErrorCode::kTokenExpired);
  EXPECT_EQ(e.message.find(token.substr(0, 20)), std::string::npos);
  EXPECT_EQ(e.message.find(token.substr(token.rfind('.') + 1, 20)), std::string::npos);
}

TEST(JwtVectors, Rfc7515A2AsJwt) {
  auto key = Jwk::parse(vectors::kA2PrivateJwk, {.allowPrivate = true});
  ASSERT_TRUE(key.ok());
  const std::string token =
      std::string(vectors::kA2SigningInput) + "." + std::string(vectors::kA2Signature);
  JwtValidationOptions o;
  o.issuer = "joe";
  auto r = verifyJwt(token, key->publicOnly(), o, fromUnixSeconds(1300819380 - 100));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->claims->at("http://example.com/is_root"), true);
  auto expired = verifyJwt(token, key->publicOnly(), o, fromUnixSeconds(1300819380 + 3600));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().message,
            "token expired at 2011-03-22T18:43:00Z, 3600 s ago; leeway 60 s");
}

}  // namespace
}  // namespace tessera::jose
