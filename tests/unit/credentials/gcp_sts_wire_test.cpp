#include "credentials/gcp_sts_wire.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/time_format.hpp"
#include "credentials/upstream_response.hpp"
#include "wire_test_support.hpp"

namespace tessera::credentials {
namespace {

using test::field;
using test::fieldNames;
using test::formFields;

constexpr std::int64_t kT = 1777629600;
constexpr std::string_view kProvider =
    "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/tessera-pool/"
    "providers/tessera-hub";

TEST(GcpStsWireTest, ProviderNameFromItsParts) {
  EXPECT_EQ(gcpWorkloadIdentityProviderName("123456789", "tessera-pool", "tessera-hub").value(),
            kProvider);
  const std::string longId(33, 'a');
  const std::tuple<const char*, const char*, const char*> bad[] = {
      {"my-project", "pool", "prov"},                         // a project id, not the number
      {"", "pool", "prov"},                                   // no project
      {"1", "abc", "prov"},                                   // pool id too short
      {"1", "pool", longId.c_str()},  {"1", "Pool", "prov"},  // upper case
      {"1", "pool/x", "prov"},                                // path injection
      {"1", "pool", "prov?x"},
  };
  for (const auto& [project, pool, provider] : bad) {
    auto r = gcpWorkloadIdentityProviderName(project, pool, provider);
    ASSERT_FALSE(r.ok()) << project << " " << pool;
    EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  }
}

TEST(GcpStsWireTest, DefaultSubjectAudienceIsTheProviderNameWithHttps) {
  EXPECT_EQ(gcpDefaultSubjectTokenAudience(kProvider), "https:" + std::string(kProvider));
}

TEST(GcpStsWireTest, SubjectTokenClaims) {
  const auto now = fromUnixSeconds(kT);
  const std::string aud = gcpDefaultSubjectTokenAudience(kProvider);
  auto c = gcpSubjectTokenClaims("https://hub.example", "k8s:prod/deployer", aud, now);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)["iss"], "https://hub.example");
  EXPECT_EQ((*c)["sub"], "k8s:prod/deployer");
  EXPECT_EQ((*c)["aud"], aud);
  EXPECT_EQ((*c)["iat"], kT);
  EXPECT_EQ((*c)["exp"], kT + 300);
  EXPECT_TRUE(gcpSubjectTokenClaims("i", "s", aud, now, Seconds(48 * 3600 - 1)).ok());
  EXPECT_FALSE(gcpSubjectTokenClaims("i", "s", aud, now, Seconds(48 * 3600)).ok())
      << "Google refuses exp 48 h or more after iat";
  EXPECT_TRUE(gcpSubjectTokenClaims("i", std::string(127, 's'), aud, now).ok());
  EXPECT_FALSE(gcpSubjectTokenClaims("i", std::string(128, 's'), aud, now).ok())
      << "google.subject is at most 127 bytes";
}

TEST(GcpStsWireTest, ExchangeRequestIsAnRfc8693FormPostWithoutAuthorization) {
  auto built = buildGcpStsExchange({.audience = std::string(kProvider), .subjectToken = "jwt.x.y"});
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->method, "POST");
  EXPECT_EQ(built->url, "https://sts.googleapis.com/v1/token");
  EXPECT_EQ(built->headers.get("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  EXPECT_FALSE(built->headers.contains("Authorization"));
  const auto fields = formFields(*built);
  EXPECT_EQ(field(fields, "grant_type"), "urn:ietf:params:oauth:grant-type:token-exchange");
  EXPECT_EQ(field(fields, "audience"), kProvider);
  EXPECT_EQ(field(fields, "scope"), "https://www.googleapis.com/auth/cloud-platform");
  EXPECT_EQ(field(fields, "requested_token_type"), "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(field(fields, "subject_token_type"), "urn:ietf:params:oauth:token-type:jwt");
  EXPECT_EQ(field(fields, "subject_token"), "jwt.x.y");
  EXPECT_EQ(fieldNames(fields).size(), 6u);
}

TEST(GcpStsWireTest, ExchangeRequestOptionsAndRefusals) {
  auto several = buildGcpStsExchange({.endpoint = "http://127.0.0.1:8080/v1/token",
                                      .audience = std::string(kProvider),
                                      .subjectToken = "t",
                                      .subjectTokenType = std::string(kIdTokenType),
                                      .scopes = {"a", "b"}});
  ASSERT_TRUE(several.ok());
  EXPECT_EQ(several->url, "http://127.0.0.1:8080/v1/token");
  EXPECT_EQ(field(formFields(*several), "scope"), "a b");
  EXPECT_EQ(field(formFields(*several), "subject_token_type"),
            "urn:ietf:params:oauth:token-type:id_token");

  const auto refused = [](GcpStsExchangeRequest r, ErrorCode code) {
    auto built = buildGcpStsExchange(r);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.error().code, code) << built.error().message;
  };
  refused({.audience = "projects/1/locations/global/workloadIdentityPools/p/providers/q",
           .subjectToken = "t"},
          ErrorCode::kConfigInvalid);
  refused({.audience = "https://iam.googleapis.com/projects/1", .subjectToken = "t"},
          ErrorCode::kConfigInvalid);
  refused({.audience = std::string(kProvider), .subjectToken = ""}, ErrorCode::kInvalidArgument);
  refused({.audience = std::string(kProvider), .subjectToken = "t", .scopes = {}},
          ErrorCode::kInvalidArgument);
  refused({.endpoint = "http://sts.googleapis.com/v1/token",
           .audience = std::string(kProvider),
           .subjectToken = "t"},
          ErrorCode::kConfigInvalid);
}

TEST(GcpStsWireTest, ReadsTheStsAnswer) {
  auto t = readGcpStsResponse(
      200,
      R"({"access_token":"ya29.fed","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3599})");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->accessToken, "ya29.fed");
  EXPECT_EQ(t->issuedTokenType, "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(t->tokenType, "Bearer");
  EXPECT_EQ(t->expiresIn, 3599);
}

TEST(GcpStsWireTest, ClassifiesGoogleStsErrorBodies) {
  // Observed bodies (PROTOCOLS.md 4.1).
  auto audience = readGcpStsResponse(
      400,
      R"({"error":"invalid_request","error_description":"Invalid value for \"audience\". This value should be the full resource name of the Identity Provider."})");
  EXPECT_EQ(audience.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(audience.error().message.find("Google STS"), std::string::npos);
  EXPECT_NE(audience.error().message.find("Invalid value for"), std::string::npos);
  auto target = readGcpStsResponse(
      400,
      R"({"error":"invalid_target","error_description":"The target service indicated by the \"audience\" parameters is invalid."})");
  EXPECT_EQ(target.error().code, ErrorCode::kConfigInvalid);
  auto grant = readGcpStsResponse(
      400,
      R"({"error":"invalid_grant","error_description":"The audience in ID Token does not match the expected audience."})");
  EXPECT_EQ(grant.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(readGcpStsResponse(503, "").error().code, ErrorCode::kUnavailable);
}

TEST(GcpStsWireTest, GenerateAccessTokenRequest) {
  auto built = buildGenerateAccessToken({.serviceAccount = "deployer@proj.iam.gserviceaccount.com",
                                         .federatedToken = "ya29.fed",
                                         .lifetime = Seconds(1800)});
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->method, "POST");
  EXPECT_EQ(built->url,
            "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
            "deployer@proj.iam.gserviceaccount.com:generateAccessToken");
  EXPECT_EQ(built->headers.get("Authorization").value_or(""), "Bearer ya29.fed");
  EXPECT_EQ(built->headers.get("Content-Type").value_or(""), "application/json");
  const auto body = nlohmann::json::parse(built->body);
  EXPECT_EQ(body, (nlohmann::json{{"scope", {"https://www.googleapis.com/auth/cloud-platform"}},
                                  {"lifetime", "1800s"}}));

  auto delegated = buildGenerateAccessToken(
      {.endpointBase = "http://127.0.0.1:9090/",
       .serviceAccount = "1234567890",
       .federatedToken = "t",
       .scopes = {"a", "b"},
       .delegates = {"projects/-/serviceAccounts/mid@p.iam.gserviceaccount.com"}});
  ASSERT_TRUE(delegated.ok());
  EXPECT_EQ(delegated->url,
            "http://127.0.0.1:9090/v1/projects/-/serviceAccounts/1234567890:generateAccessToken");
  const auto dbody = nlohmann::json::parse(delegated->body);
  EXPECT_EQ(dbody["scope"], (nlohmann::json{"a", "b"}));
  EXPECT_EQ(dbody["lifetime"], "3600s");
  EXPECT_EQ(dbody["delegates"][0], "projects/-/serviceAccounts/mid@p.iam.gserviceaccount.com");
}

TEST(GcpStsWireTest, GenerateAccessTokenLifetimeIsAtMostAnHour) {
  const auto build = [](int seconds) {
    return buildGenerateAccessToken({.serviceAccount = "sa@p.iam.gserviceaccount.com",
                                     .federatedToken = "t",
                                     .lifetime = Seconds(seconds)});
  };
  EXPECT_TRUE(build(3600).ok());
  EXPECT_TRUE(build(1).ok());
  for (const int bad : {3601, 0, -5, 43200}) {
    auto r = build(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("3600"), std::string::npos);
  }
}

TEST(GcpStsWireTest, GenerateAccessTokenRefusals) {
  for (const char* sa : {"", "a/b@p", "x:generateIdToken", "a b", "a?b"}) {
    auto r = buildGenerateAccessToken({.serviceAccount = sa, .federatedToken = "t"});
    ASSERT_FALSE(r.ok()) << sa;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(buildGenerateAccessToken({.serviceAccount = "sa@p", .federatedToken = ""}).ok());
  EXPECT_FALSE(
      buildGenerateAccessToken({.serviceAccount = "sa@p", .federatedToken = "t", .scopes = {}})
          .ok());
  EXPECT_EQ(
      buildGenerateAccessToken(
          {.endpointBase = "http://iam.example", .serviceAccount = "sa@p", .federatedToken = "t"})
          .error()
          .code,
      ErrorCode::kConfigInvalid);
}

TEST(GcpStsWireTest, ReadsTheGenerateAccessTokenAnswer) {
  auto t = readGenerateAccessTokenResponse(
      200, R"({"accessToken":"ya29.sa","expireTime":"2014-10-02T15:01:23Z"})");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->accessToken, "ya29.sa");
  EXPECT_EQ(t->expireTime, parseRfc3339("2014-10-02T15:01:23Z").value());
  auto fractional = readGenerateAccessTokenResponse(
      200, R"({"accessToken":"a","expireTime":"2014-10-02T15:01:23.045123456Z"})");
  ASSERT_TRUE(fractional.ok());
  for (const char* bad :
       {R"({"expireTime":"2014-10-02T15:01:23Z"})", R"({"accessToken":"a"})",
        R"({"accessToken":"a","expireTime":"soon"})",
        R"({"accessToken":1,"expireTime":"2014-10-02T15:01:23Z"})", "[]", "not json"}) {
    auto r = readGenerateAccessTokenResponse(200, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kHttpUpstream);
  }
}

TEST(GcpStsWireTest, ParsesGoogleApiErrorBodies) {
  // Observed (PROTOCOLS.md 4.3).
  constexpr std::string_view kDenied =
      R"({"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"IAM_PERMISSION_DENIED","domain":"iam.googleapis.com","metadata":{"permission":"iam.serviceAccounts.getAccessToken"}}]}})";
  auto e = parseGoogleApiError(kDenied);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->code, 403);
  EXPECT_EQ(e->status, "PERMISSION_DENIED");
  EXPECT_EQ(e->reason, "IAM_PERMISSION_DENIED");
  EXPECT_NE(e->message.find("getAccessToken"), std::string::npos);
  auto r = readGenerateAccessTokenResponse(403, kDenied);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message.find("PERMISSION_DENIED"), std::string::npos);
  EXPECT_NE(r.error().message.find("IAM_PERMISSION_DENIED"), std::string::npos);
  EXPECT_NE(r.error().message.find("workloadIdentityUser"), std::string::npos);

  for (const char* bad : {R"({"error":"x"})", R"({"message":"x"})", "[]", ""}) {
    EXPECT_FALSE(parseGoogleApiError(bad).ok()) << bad;
  }
}

TEST(GcpStsWireTest, EveryGoogleStatusHasItsMeaning) {
  const std::tuple<const char*, int, ErrorCode> cases[] = {
      {"PERMISSION_DENIED", 403, ErrorCode::kPermissionDenied},
      {"UNAUTHENTICATED", 401, ErrorCode::kPermissionDenied},
      {"INVALID_ARGUMENT", 400, ErrorCode::kConfigInvalid},
      {"NOT_FOUND", 404, ErrorCode::kConfigInvalid},
      {"FAILED_PRECONDITION", 400, ErrorCode::kConfigInvalid},
      {"RESOURCE_EXHAUSTED", 429, ErrorCode::kTooManyRequests},
      {"UNAVAILABLE", 503, ErrorCode::kUnavailable},
      {"INTERNAL", 500, ErrorCode::kUnavailable},
      {"DEADLINE_EXCEEDED", 504, ErrorCode::kUnavailable},
      {"ABORTED", 409, ErrorCode::kHttpUpstream},
      {"", 502, ErrorCode::kUnavailable},
      {"", 403, ErrorCode::kPermissionDenied},
  };
  for (const auto& [status, http, expected] : cases) {
    const Error e = classifyGoogleApiError("Google IAM Credentials", http,
                                           {.code = http, .message = "m", .status = status});
    EXPECT_EQ(e.code, expected) << status << " " << http;
  }
  EXPECT_EQ(readGenerateAccessTokenResponse(502, "<html>bad gateway</html>").error().code,
            ErrorCode::kUnavailable);
  EXPECT_EQ(readGenerateAccessTokenResponse(404, "Not Found").error().code,
            ErrorCode::kHttpUpstream);
}

}  // namespace
}  // namespace tessera::credentials
