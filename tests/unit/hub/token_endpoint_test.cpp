// The token endpoint's request validation (RFC 8693 §2.1, RFC 6749 §5.2 errors) and its answer.
#include <gtest/gtest.h>

#include "hub/token_endpoint.hpp"

namespace tessera::hub {
namespace {

constexpr std::string_view kForm = "application/x-www-form-urlencoded";
const std::string kGrant = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange";
const std::string kSubject =
    "&subject_token=eyJ.a.b&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt";

OAuthError errorOf(std::string_view contentType, const std::string& body) {
  auto parsed = parseTokenExchangeRequest(contentType, body);
  EXPECT_TRUE(std::holds_alternative<OAuthError>(parsed)) << body;
  return std::holds_alternative<OAuthError>(parsed) ? std::get<OAuthError>(parsed) : OAuthError{};
}

TEST(TokenEndpoint, ParsesAValidRequest) {
  auto parsed = parseTokenExchangeRequest("application/x-www-form-urlencoded; charset=UTF-8",
                                          kGrant + kSubject + "&audience=registry&scope=x");
  ASSERT_TRUE(std::holds_alternative<TokenExchangeRequest>(parsed));
  const auto& request = std::get<TokenExchangeRequest>(parsed);
  EXPECT_EQ(request.subjectToken, "eyJ.a.b");
  EXPECT_EQ(request.subjectTokenType, kJwtTokenType);
  EXPECT_EQ(request.audiences, std::vector<std::string>{"registry"});
  EXPECT_TRUE(request.resources.empty());
}

TEST(TokenEndpoint, AcceptsIdTokenAndAccessTokenTypesAndResource) {
  for (const char* type : {"urn:ietf:params:oauth:token-type:id_token",
                           "urn:ietf:params:oauth:token-type:access_token"}) {
    auto parsed = parseTokenExchangeRequest(
        kForm, kGrant + "&subject_token=t&subject_token_type=" + net::percentEncode(type) +
                   "&resource=https%3A%2F%2Fregistry.example");
    ASSERT_TRUE(std::holds_alternative<TokenExchangeRequest>(parsed)) << type;
    EXPECT_EQ(std::get<TokenExchangeRequest>(parsed).resources.front(), "https://registry.example");
  }
}

TEST(TokenEndpoint, RefusesWhatRfc8693Refuses) {
  EXPECT_EQ(errorOf("application/json", kGrant + kSubject + "&audience=a").error,
            "invalid_request");
  EXPECT_EQ(errorOf(kForm, kSubject.substr(1) + "&audience=a").error, "invalid_request");
  EXPECT_EQ(errorOf(kForm, "grant_type=client_credentials" + kSubject + "&audience=a").error,
            "unsupported_grant_type");
  EXPECT_EQ(errorOf(kForm, kGrant + "&" + kGrant + kSubject + "&audience=a").description,
            "grant_type appears more than once");
  EXPECT_EQ(errorOf(kForm, kGrant + kSubject + "&subject_token=x&audience=a").description,
            "subject_token appears more than once");
  EXPECT_EQ(errorOf(kForm, kGrant + "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-"
                                    "type%3Ajwt&audience=a")
                .description,
            "subject_token is required");
  EXPECT_EQ(errorOf(kForm, kGrant + "&subject_token=t&audience=a").description,
            "subject_token_type is required");
  EXPECT_EQ(errorOf(kForm, kGrant + "&subject_token=t&subject_token_type=urn%3Aietf%3Aparams%"
                                    "3Aoauth%3Atoken-type%3Asaml2&audience=a")
                .error,
            "invalid_request");
  EXPECT_EQ(errorOf(kForm, kGrant + kSubject).description,
            "audience or resource must name the server workload");
  EXPECT_EQ(errorOf(kForm, kGrant + kSubject + "&audience=a&resource=https%3A%2F%2Fb").error,
            "invalid_request");
  EXPECT_EQ(errorOf(kForm, kGrant + kSubject + "&audience=a&actor_token=x").error,
            "invalid_request");
  EXPECT_EQ(errorOf(kForm, kGrant + kSubject + "&audience=a&requested_token_type=urn%3Ax").error,
            "invalid_request");
  EXPECT_EQ(errorOf(kForm, kGrant + kSubject + "&audience=").error, "invalid_request");
  EXPECT_EQ(errorOf(kForm, kGrant + kSubject + "&audience=%zz").error, "invalid_request");
}

TEST(TokenEndpoint, LimitsLengths) {
  EXPECT_EQ(errorOf(kForm, kGrant + kSubject + "&audience=" + std::string(2049, 'a')).error,
            "invalid_request");
  EXPECT_EQ(errorOf(kForm, kGrant + "&subject_token=" + std::string(16 * 1024 + 1, 'a') +
                               "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%"
                               "3Ajwt&audience=a")
                .error,
            "invalid_request");
  EXPECT_EQ(errorOf(kForm, std::string(kMaxTokenRequestBytes + 1, 'a')).error, "invalid_request");
}

TEST(TokenEndpoint, ErrorResponseIsRfc6749) {
  const auto response = oauthErrorResponse({"invalid_target", "no such workload", 400});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.headers.get("Cache-Control").value_or(""), "no-store");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body, (nlohmann::json{{"error", "invalid_target"},
                                  {"error_description", "no such workload"}}));
}

TEST(TokenEndpoint, AnswersAnIdTokenAsAJwtAndOtherCredentialsInTesseraCredential) {
  const auto now = SystemTime{} + std::chrono::hours(1000);
  AccessOutcome outcome;
  outcome.contextId = "ctx";
  outcome.grant = Grant{};
  outcome.grant->credential.type = "id-token";
  outcome.grant->credential.fields["token"] = "eyJ.x.y";
  outcome.grant->credential.expiresAt = now + std::chrono::seconds(300);
  auto answer = tokenExchangeAnswer(outcome, now);
  EXPECT_EQ(answer["access_token"], "eyJ.x.y");
  EXPECT_EQ(answer["issued_token_type"], std::string(kJwtTokenType));
  EXPECT_EQ(answer["token_type"], "Bearer");
  EXPECT_EQ(answer["expires_in"], 300);
  EXPECT_EQ(answer["tessera_context_id"], "ctx");

  outcome.grant->credential.type = "aws";
  outcome.grant->credential.fields = {{"accessKeyId", "AKIA"}, {"secretAccessKey", "s"}};
  answer = tokenExchangeAnswer(outcome, now);
  EXPECT_EQ(answer["access_token"], "N_A");
  EXPECT_EQ(answer["token_type"], "N_A");
  EXPECT_EQ(answer["issued_token_type"], std::string(kTesseraCredentialType));
  EXPECT_EQ(answer["tessera_credential"]["accessKeyId"], "AKIA");
}

}  // namespace
}  // namespace tessera::hub
