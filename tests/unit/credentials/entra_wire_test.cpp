#include "credentials/entra_wire.hpp"

#include <gtest/gtest.h>

#include <string>

#include "credentials/upstream_response.hpp"
#include "wire_test_support.hpp"

namespace tessera::credentials {
namespace {

using test::field;
using test::fieldNames;
using test::formFields;

constexpr std::int64_t kT = 1777629600;
constexpr std::string_view kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view kClient = "97e0a5b7-d745-40b6-94fe-5f77d35c6e05";

EntraTokenRequest request() {
  return {.tenant = std::string(kTenant),
          .clientId = std::string(kClient),
          .scope = "https://graph.microsoft.com/.default",
          .clientAssertion = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"};
}

// The observed body of PROTOCOLS.md 5.1.
constexpr std::string_view kNoFic =
    R"({"error":"invalid_request","error_description":"AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://oidc.prod-aks.azure.com/XXXXXX/'. Assertion Subject: 'system:serviceaccount:default:workload-identity-sa'. Assertion Audience: 'api://AzureADTokenExchange'.\r\nTrace ID: 0b6a-trace\r\nCorrelation ID: 9c1d-corr\r\nTimestamp: 2022-01-20 22:54:42Z","error_codes":[70021],"timestamp":"2022-01-20 22:54:42Z","trace_id":"0b6a-trace","correlation_id":"9c1d-corr","error_uri":"https://login.microsoftonline.com/error?code=70021"})";

std::string aadsts(std::int64_t code, std::string_view error = "invalid_request") {
  return nlohmann::json{
      {"error", error},
      {"error_description", "AADSTS" + std::to_string(code) + ": text.\r\nTrace ID: t\r\n"},
      {"error_codes", {code}},
      {"trace_id", "t"},
      {"correlation_id", "c"}}
      .dump();
}

TEST(EntraWireTest, AssertionClaimsForAFederatedIdentityCredential) {
  const auto now = fromUnixSeconds(kT);
  auto c = entraAssertionClaims("https://hub.example/", "k8s:prod/deployer", "jti-7", now);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)["aud"], "api://AzureADTokenExchange");
  EXPECT_EQ((*c)["iss"], "https://hub.example/") << "kept exactly, trailing slash included";
  EXPECT_EQ((*c)["sub"], "k8s:prod/deployer");
  EXPECT_EQ((*c)["jti"], "jti-7");
  EXPECT_EQ((*c)["iat"], kT);
  EXPECT_EQ((*c)["nbf"], kT);
  EXPECT_EQ((*c)["exp"], kT + 300);
  EXPECT_EQ(entraAssertionClaims("i", "s", "j", now, Seconds(60), "api://Custom").value()["aud"],
            "api://Custom");
  EXPECT_TRUE(entraAssertionClaims("i", "s", "j", now, Seconds(3600)).ok());
  EXPECT_FALSE(entraAssertionClaims("i", "s", "j", now, Seconds(3601)).ok());
  EXPECT_FALSE(entraAssertionClaims("i", std::string(601, 's'), "j", now).ok());
  EXPECT_FALSE(entraAssertionClaims(std::string(601, 'i'), "s", "j", now).ok());
  EXPECT_FALSE(entraAssertionClaims("i", "", "j", now).ok());
}

TEST(EntraWireTest, TokenRequestIsClientCredentialsWithAFederatedAssertion) {
  auto built = buildEntraTokenRequest(request());
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->method, "POST");
  EXPECT_EQ(built->url,
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/"
            "token");
  EXPECT_EQ(built->headers.get("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  EXPECT_FALSE(built->headers.contains("Authorization"));
  const auto fields = formFields(*built);
  EXPECT_EQ(field(fields, "client_id"), kClient);
  EXPECT_EQ(field(fields, "scope"), "https://graph.microsoft.com/.default");
  EXPECT_EQ(field(fields, "grant_type"), "client_credentials");
  EXPECT_EQ(field(fields, "client_assertion_type"),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(field(fields, "client_assertion"), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
  EXPECT_EQ(fieldNames(fields).size(), 5u);
  EXPECT_NE(built->body.find("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
            std::string::npos);
}

TEST(EntraWireTest, AuthorityHostCanBeAStandIn) {
  auto r = request();
  r.authorityHost = "http://127.0.0.1:7000/";
  r.tenant = "contoso.onmicrosoft.com";
  auto built = buildEntraTokenRequest(r);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->url, "http://127.0.0.1:7000/contoso.onmicrosoft.com/oauth2/v2.0/token");
  r.authorityHost = "http://login.example.com";
  EXPECT_EQ(buildEntraTokenRequest(r).error().code, ErrorCode::kConfigInvalid);
}

TEST(EntraWireTest, RefusesBadTenantsScopesAndMissingParts) {
  const auto refused = [](EntraTokenRequest r, ErrorCode code) {
    auto built = buildEntraTokenRequest(r);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.error().code, code) << built.error().message;
  };
  for (const char* tenant : {"", "a/b", "a?b", "te nant", "../common"}) {
    auto r = request();
    r.tenant = tenant;
    refused(r, ErrorCode::kConfigInvalid);
  }
  for (const char* scope : {"", "https://graph.microsoft.com/User.Read",
                            "https://graph.microsoft.com/.default offline_access"}) {
    auto r = request();
    r.scope = scope;
    refused(r, ErrorCode::kConfigInvalid);
  }
  auto r = request();
  r.clientId.clear();
  refused(r, ErrorCode::kInvalidArgument);
  r = request();
  r.clientAssertion.clear();
  refused(r, ErrorCode::kInvalidArgument);
}

TEST(EntraWireTest, ReadsTheTokenAnswer) {
  auto t = readEntraTokenResponse(
      200,
      R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAi.x.y"})");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->tokenType, "Bearer");
  EXPECT_EQ(t->expiresIn, 3599);
  EXPECT_EQ(t->accessToken, "eyJ0eXAi.x.y");
  auto v1Strings = readEntraTokenResponse(
      200, R"({"token_type":"Bearer","expires_in":"3599","access_token":"a"})");
  ASSERT_TRUE(v1Strings.ok());
  EXPECT_EQ(v1Strings->expiresIn, 3599);
  EXPECT_EQ(readEntraTokenResponse(200, R"({"token_type":"Bearer"})").error().code,
            ErrorCode::kHttpUpstream);
}

TEST(EntraWireTest, ParsesTheAadstsErrorBody) {
  auto e = parseEntraError(kNoFic);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->error, "invalid_request");
  EXPECT_TRUE(e->description.starts_with("AADSTS70021: No matching federated identity record"));
  EXPECT_EQ(e->description.find("Trace ID"), std::string::npos) << "first line only";
  EXPECT_EQ(e->codes, (std::vector<std::int64_t>{70021}));
  EXPECT_EQ(e->traceId, "0b6a-trace");
  EXPECT_EQ(e->correlationId, "9c1d-corr");
  EXPECT_EQ(e->timestamp, "2022-01-20 22:54:42Z");
  for (const char* bad : {"", "[]", R"({"error_codes":[1]})", R"({"error":"x","trace_id":5})"}) {
    EXPECT_FALSE(parseEntraError(bad).ok()) << bad;
  }
  auto noCodes = parseEntraError(R"({"error":"invalid_client","error_codes":"x"})");
  ASSERT_TRUE(noCodes.ok());
  EXPECT_TRUE(noCodes->codes.empty());
}

TEST(EntraWireTest, NoMatchingFederatedCredentialIsAClearRefusal) {
  auto r = readEntraTokenResponse(400, kNoFic);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("AADSTS70021"), std::string::npos) << m;
  EXPECT_NE(m.find("federated identity credential"), std::string::npos) << m;
  EXPECT_NE(m.find("trailing '/'"), std::string::npos) << m;
  EXPECT_NE(m.find("https://oidc.prod-aks.azure.com/XXXXXX/"), std::string::npos) << m;
  EXPECT_NE(m.find("0b6a-trace"), std::string::npos) << m;
  EXPECT_NE(m.find("9c1d-corr"), std::string::npos) << m;
  EXPECT_EQ(m.find('\r'), std::string::npos);
}

TEST(EntraWireTest, EveryKnownAadstsCodeHasItsMeaning) {
  const std::tuple<std::int64_t, ErrorCode, const char*> cases[] = {
      {70021, ErrorCode::kPermissionDenied, "federated identity credential"},
      {700211, ErrorCode::kPermissionDenied, "issuer"},
      {700212, ErrorCode::kPermissionDenied, "audience"},
      {700213, ErrorCode::kPermissionDenied, "subject"},
      {700024, ErrorCode::kPermissionDenied, "clock"},
      {50027, ErrorCode::kPermissionDenied, "JWT"},
      {50013, ErrorCode::kPermissionDenied, "signature"},
      {700027, ErrorCode::kPermissionDenied, "signature"},
      {5002738, ErrorCode::kConfigInvalid, "RS256"},
      {1002012, ErrorCode::kConfigInvalid, ".default"},
      {500011, ErrorCode::kConfigInvalid, "resource"},
      {700016, ErrorCode::kConfigInvalid, "application"},
      {90002, ErrorCode::kConfigInvalid, "tenant"},
      {70011, ErrorCode::kConfigInvalid, ".default"},
      {90061, ErrorCode::kUnavailable, "JWKS"},
  };
  for (const auto& [code, expected, word] : cases) {
    auto r = readEntraTokenResponse(400, aadsts(code));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, expected) << code;
    EXPECT_NE(r.error().message.find("AADSTS" + std::to_string(code)), std::string::npos);
    EXPECT_NE(r.error().message.find(word), std::string::npos) << r.error().message;
    EXPECT_EQ(retryHelps(r.error()), code == 90061) << code;
  }
}

TEST(EntraWireTest, UnknownCodesFallBackToTheOAuthErrorAndTheStatus) {
  EXPECT_EQ(readEntraTokenResponse(401, aadsts(7000215, "invalid_client")).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(readEntraTokenResponse(400, aadsts(1, "invalid_scope")).error().code,
            ErrorCode::kConfigInvalid);
  EXPECT_EQ(readEntraTokenResponse(503, aadsts(70021)).error().code, ErrorCode::kUnavailable)
      << "a 5xx is retryable whatever the code";
  EXPECT_EQ(readEntraTokenResponse(429, aadsts(1, "temporarily_unavailable")).error().code,
            ErrorCode::kTooManyRequests);
  EXPECT_EQ(readEntraTokenResponse(500, "<html/>").error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(readEntraTokenResponse(400, "<html/>").error().code, ErrorCode::kHttpUpstream);
}

}  // namespace
}  // namespace tessera::credentials
