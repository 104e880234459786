#include "credentials/oauth_wire.hpp"

#include <gtest/gtest.h>

#include <string>

#include "credentials/upstream_response.hpp"
#include "crypto/pkcs7.hpp"
#include "wire_test_support.hpp"

namespace tessera::credentials {
namespace {

using test::field;
using test::formFields;

constexpr std::int64_t kT = 1777629600;
constexpr std::string_view kEndpoint = "https://as.example.com/oauth2/token";

ClientCredentialsRequest request(OAuthClientAuth auth) {
  return {.tokenEndpoint = std::string(kEndpoint),
          .clientId = "registry-client",
          .auth = auth,
          .clientSecret = "s3cr3t",
          .clientAssertion = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"};
}

std::string decodeBasic(std::string_view header) {
  EXPECT_TRUE(header.starts_with("Basic "));
  auto decoded = crypto::base64Decode(header.substr(6));
  return decoded.ok() ? *decoded : std::string("<invalid base64>");
}

TEST(OAuthWireTest, AuthMethodNamesRoundTrip) {
  for (const auto m : {OAuthClientAuth::kClientSecretBasic, OAuthClientAuth::kClientSecretPost,
                       OAuthClientAuth::kPrivateKeyJwt}) {
    EXPECT_EQ(parseOAuthClientAuth(oauthClientAuthName(m)), m);
  }
  EXPECT_EQ(oauthClientAuthName(OAuthClientAuth::kPrivateKeyJwt), "private_key_jwt");
  EXPECT_EQ(parseOAuthClientAuth("client_secret_jwt"), std::nullopt);
}

TEST(OAuthWireTest, BasicFormEncodesIdAndSecretBeforeBase64) {
  // RFC 6749 2.3.1: form-encode each, then base64 "id:secret" (standard alphabet, padded).
  EXPECT_EQ(clientSecretBasicAuthorization("client", "secret"), "Basic Y2xpZW50OnNlY3JldA==");
  EXPECT_EQ(decodeBasic(clientSecretBasicAuthorization("my:client", "p@ss w/rd+%")),
            "my%3Aclient:p%40ss+w%2Frd%2B%25");
  EXPECT_EQ(decodeBasic(clientSecretBasicAuthorization("\xC3\xA9", "a")), "%C3%A9:a");
  // Lengths 1, 2 and 0 modulo 3 exercise every padding.
  EXPECT_EQ(decodeBasic(clientSecretBasicAuthorization("a", "b")), "a:b");
  EXPECT_EQ(decodeBasic(clientSecretBasicAuthorization("ab", "b")), "ab:b");
  EXPECT_EQ(decodeBasic(clientSecretBasicAuthorization("abc", "b")), "abc:b");
  // Bytes that base64url would write as '-' and '_' come out as '+' and '/'.
  const std::string header = clientSecretBasicAuthorization("~~~", "???");
  EXPECT_EQ(header.find_first_of("-_"), std::string::npos) << header;
}

TEST(OAuthWireTest, ClientSecretBasicPutsTheSecretOnlyInTheHeader) {
  auto r = request(OAuthClientAuth::kClientSecretBasic);
  r.scopes = {"read", "write:all"};
  auto built = buildClientCredentialsRequest(r);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->method, "POST");
  EXPECT_EQ(built->url, kEndpoint);
  EXPECT_EQ(built->headers.get("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  EXPECT_EQ(built->headers.get("Accept").value_or(""), "application/json");
  EXPECT_EQ(decodeBasic(built->headers.get("Authorization").value_or("")),
            "registry-client:s3cr3t");
  const auto fields = formFields(*built);
  EXPECT_EQ(field(fields, "grant_type"), "client_credentials");
  EXPECT_EQ(field(fields, "scope"), "read write:all");
  EXPECT_EQ(field(fields, "client_id"), std::nullopt);
  EXPECT_EQ(field(fields, "client_secret"), std::nullopt);
  EXPECT_EQ(built->body.find("s3cr3t"), std::string::npos);
  EXPECT_NE(built->body.find("scope=read+write%3Aall"), std::string::npos) << built->body;
}

TEST(OAuthWireTest, ClientSecretPostPutsIdAndSecretInTheBody) {
  auto built = buildClientCredentialsRequest(request(OAuthClientAuth::kClientSecretPost));
  ASSERT_TRUE(built.ok());
  EXPECT_FALSE(built->headers.contains("Authorization"));
  const auto fields = formFields(*built);
  EXPECT_EQ(field(fields, "grant_type"), "client_credentials");
  EXPECT_EQ(field(fields, "client_id"), "registry-client");
  EXPECT_EQ(field(fields, "client_secret"), "s3cr3t");
  EXPECT_EQ(field(fields, "scope"), std::nullopt) << "no scopes, no scope parameter";
  EXPECT_EQ(field(fields, "client_assertion"), std::nullopt);
}

TEST(OAuthWireTest, PrivateKeyJwtSendsTheAssertionAndNoSecret) {
  auto built = buildClientCredentialsRequest(request(OAuthClientAuth::kPrivateKeyJwt));
  ASSERT_TRUE(built.ok());
  EXPECT_FALSE(built->headers.contains("Authorization"));
  const auto fields = formFields(*built);
  EXPECT_EQ(field(fields, "client_id"), "registry-client");
  EXPECT_EQ(field(fields, "client_assertion_type"),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(field(fields, "client_assertion"), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
  EXPECT_EQ(field(fields, "client_secret"), std::nullopt);
  EXPECT_EQ(built->body.find("s3cr3t"), std::string::npos);
}

TEST(OAuthWireTest, ExtraParametersAreAppendedButCannotOverrideTheGrant) {
  auto r = request(OAuthClientAuth::kClientSecretPost);
  r.extraParameters = {{"audience", "https://api.example.com"}, {"resource", "urn:a b"}};
  auto built = buildClientCredentialsRequest(r);
  ASSERT_TRUE(built.ok());
  const auto fields = formFields(*built);
  EXPECT_EQ(field(fields, "audience"), "https://api.example.com");
  EXPECT_EQ(field(fields, "resource"), "urn:a b");
  for (const char* reserved : {"grant_type", "scope", "client_id", "client_secret",
                               "client_assertion", "client_assertion_type", ""}) {
    auto bad = request(OAuthClientAuth::kClientSecretPost);
    bad.extraParameters = {{reserved, "x"}};
    auto refused = buildClientCredentialsRequest(bad);
    ASSERT_FALSE(refused.ok()) << reserved;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(isClientCredentialsParameter(reserved)) << reserved;
  }
  EXPECT_FALSE(isClientCredentialsParameter("audience"));
  EXPECT_FALSE(isClientCredentialsParameter("Scope")) << "names are compared exactly";
}

TEST(OAuthWireTest, IncompleteRequestsAreRefused) {
  const auto refused = [](ClientCredentialsRequest r, ErrorCode code) {
    auto built = buildClientCredentialsRequest(r);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.error().code, code) << built.error().message;
    EXPECT_EQ(built.error().message.find("s3cr3t"), std::string::npos);
  };
  auto r = request(OAuthClientAuth::kClientSecretBasic);
  r.clientSecret.clear();
  refused(r, ErrorCode::kInvalidArgument);
  r = request(OAuthClientAuth::kClientSecretPost);
  r.clientSecret.clear();
  refused(r, ErrorCode::kInvalidArgument);
  r = request(OAuthClientAuth::kPrivateKeyJwt);
  r.clientAssertion.clear();
  refused(r, ErrorCode::kInvalidArgument);
  r = request(OAuthClientAuth::kClientSecretPost);
  r.clientId.clear();
  refused(r, ErrorCode::kInvalidArgument);
  for (const char* scope : {"", "a b", "a\"b", "a\\b", "caf\xC3\xA9", "a\tb"}) {
    r = request(OAuthClientAuth::kClientSecretPost);
    r.scopes = {scope};
    refused(r, ErrorCode::kInvalidArgument);
  }
  r = request(OAuthClientAuth::kClientSecretPost);
  r.tokenEndpoint = "http://as.example.com/token";
  refused(r, ErrorCode::kConfigInvalid);
  r.tokenEndpoint = "http://127.0.0.1:9/token";
  EXPECT_TRUE(buildClientCredentialsRequest(r).ok());
}

TEST(OAuthWireTest, ClientAssertionClaimsFollowRfc7523) {
  const auto now = fromUnixSeconds(kT);
  auto claims = clientAssertionClaims("registry-client", kEndpoint, "jti-1", now);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ((*claims)["iss"], "registry-client");
  EXPECT_EQ((*claims)["sub"], "registry-client");
  EXPECT_EQ((*claims)["aud"], kEndpoint);
  EXPECT_EQ((*claims)["jti"], "jti-1");
  EXPECT_EQ((*claims)["iat"], kT);
  EXPECT_EQ((*claims)["exp"], kT + 300);
  EXPECT_EQ(clientAssertionClaims("c", kEndpoint, "j", now, Seconds(60)).value()["exp"], kT + 60);
  EXPECT_FALSE(clientAssertionClaims("c", kEndpoint, "j", now, Seconds(301)).ok())
      << "at most five minutes";
  EXPECT_FALSE(clientAssertionClaims("c", kEndpoint, "j", now, Seconds(0)).ok());
  EXPECT_FALSE(clientAssertionClaims("c", kEndpoint, "", now).ok()) << "jti is required";
  EXPECT_FALSE(clientAssertionClaims("", kEndpoint, "j", now).ok());
  EXPECT_FALSE(clientAssertionClaims("c", "", "j", now).ok());
}

TEST(OAuthWireTest, ParsesEveryFieldOfATokenAnswer) {
  auto t = parseTokenResponse(
      "AS", R"({"access_token":"at-1","token_type":"Bearer","expires_in":3599,"scope":"read",
               "issued_token_type":"urn:ietf:params:oauth:token-type:access_token","x":1})");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->accessToken, "at-1");
  EXPECT_EQ(t->tokenType, "Bearer");
  EXPECT_EQ(t->expiresIn, 3599);
  EXPECT_EQ(t->scope, "read");
  EXPECT_EQ(t->issuedTokenType, "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(t->expiresAt(fromUnixSeconds(kT)), fromUnixSeconds(kT + 3599));
  auto minimal = parseTokenResponse("AS", R"({"access_token":"a","token_type":"bearer"})");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->expiresIn, std::nullopt);
  EXPECT_EQ(minimal->expiresAt(fromUnixSeconds(kT)), std::nullopt);
  auto stringExpiry =
      parseTokenResponse("AS", R"({"access_token":"a","token_type":"Bearer","expires_in":"3600"})");
  ASSERT_TRUE(stringExpiry.ok());
  EXPECT_EQ(stringExpiry->expiresIn, 3600);
}

TEST(OAuthWireTest, MalformedTokenAnswersAreUpstreamErrors) {
  const std::string longToken(kMaxAccessTokenBytes + 1, 'a');
  for (const std::string& body : {
           std::string(R"({"token_type":"Bearer"})"),
           std::string(R"({"access_token":"","token_type":"Bearer"})"),
           std::string(R"({"access_token":5,"token_type":"Bearer"})"),
           std::string(R"({"access_token":"a"})"),
           std::string(R"({"access_token":"a","token_type":"Bearer","expires_in":-1})"),
           std::string(R"({"access_token":"a","token_type":"Bearer","expires_in":1.5})"),
           std::string(R"({"access_token":"a","token_type":"Bearer","expires_in":"1h"})"),
           std::string(R"({"access_token":"a","token_type":"Bearer","expires_in":99999999999})"),
           std::string(R"({"access_token":"a","token_type":"Bearer","scope":["a"]})"),
           std::string(R"({"access_token":"a","access_token":"b","token_type":"Bearer"})"),
           R"({"access_token":")" + longToken + R"(","token_type":"Bearer"})",
           std::string("access_token=a&token_type=bearer"),
           std::string("[]"),
       }) {
    auto t = parseTokenResponse("AS", body);
    ASSERT_FALSE(t.ok()) << body.substr(0, 80);
    EXPECT_EQ(t.error().code, ErrorCode::kHttpUpstream);
  }
}

TEST(OAuthWireTest, ParsesRfc6749ErrorBodies) {
  auto e = parseOAuthError("AS", R"({"error":"invalid_client","error_description":"bad secret",
                                    "error_uri":"https://as.example.com/e"})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->error, "invalid_client");
  EXPECT_EQ(e->description, "bad secret");
  EXPECT_EQ(e->uri, "https://as.example.com/e");
  EXPECT_FALSE(parseOAuthError("AS", R"({"error_description":"x"})").ok());
  EXPECT_FALSE(parseOAuthError("AS", R"({"error":1})").ok());
  EXPECT_FALSE(parseOAuthError("AS", "<html/>").ok());
}

TEST(OAuthWireTest, EveryRfc6749ErrorCodeHasItsMeaning) {
  const std::pair<const char*, ErrorCode> cases[] = {
      {"invalid_client", ErrorCode::kPermissionDenied},
      {"invalid_grant", ErrorCode::kPermissionDenied},
      {"unauthorized_client", ErrorCode::kPermissionDenied},
      {"access_denied", ErrorCode::kPermissionDenied},
      {"invalid_request", ErrorCode::kConfigInvalid},
      {"invalid_scope", ErrorCode::kConfigInvalid},
      {"invalid_target", ErrorCode::kConfigInvalid},
      {"unsupported_grant_type", ErrorCode::kConfigInvalid},
      {"server_error", ErrorCode::kUnavailable},
      {"temporarily_unavailable", ErrorCode::kUnavailable},
      {"slow_down", ErrorCode::kTooManyRequests},
      {"something_else", ErrorCode::kHttpUpstream},
  };
  for (const auto& [code, expected] : cases) {
    const Error e =
        classifyOAuthError("Example AS", 400, {.error = code, .description = "described"});
    EXPECT_EQ(e.code, expected) << code;
    EXPECT_NE(e.message.find("Example AS"), std::string::npos);
    EXPECT_NE(e.message.find(code), std::string::npos);
    EXPECT_NE(e.message.find("\"described\""), std::string::npos);
  }
  EXPECT_EQ(classifyOAuthError("AS", 503, {.error = "invalid_request"}).code,
            ErrorCode::kUnavailable)
      << "a 5xx is retryable whatever the code";
  EXPECT_EQ(classifyOAuthError("AS", 429, {.error = "invalid_request"}).code,
            ErrorCode::kTooManyRequests);
}

TEST(OAuthWireTest, ReadsTheWholeAnswerByStatus) {
  EXPECT_TRUE(readTokenResponse("AS", 200, R"({"access_token":"a","token_type":"Bearer"})").ok());
  auto denied = readTokenResponse("AS", 401, R"({"error":"invalid_client"})");
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(readTokenResponse("AS", 503, "Service Unavailable").error().code,
            ErrorCode::kUnavailable);
  EXPECT_EQ(readTokenResponse("AS", 404, "<html/>").error().code, ErrorCode::kHttpUpstream);
  EXPECT_EQ(readTokenResponse("AS", 200, R"({"error":"invalid_client"})").error().code,
            ErrorCode::kHttpUpstream);
}

}  // namespace
}  // namespace tessera::credentials
