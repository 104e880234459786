#include "edge/grant.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tessera::edge {
namespace {

nlohmann::json authorizedAnswer() {
  return {{"contextId", "ctx-1"},
          {"outcome", "authorized"},
          {"reasonCode", "authorized"},
          {"reason", "policy p authorized"},
          {"serverWorkload", "s3"},
          {"policy", "p"},
          {"grant",
           {{"credential",
             {{"type", "aws"},
              {"accessKeyId", "AKIA"},
              {"secretAccessKey", "secret"},
              {"sessionToken", "session"},
              {"expiresAt", "2026-12-01T01:00:00Z"}}},
            {"injection", {{"method", "aws-sigv4"}}},
            {"expiresAt", "2026-12-01T01:00:00Z"},
            {"refreshAt", "2026-12-01T00:48:00Z"},
            {"contextId", "ctx-1"}}}};
}

TEST(Grant, AnAuthorizedAnswerGivesTheCredentialAndInjection) {
  auto grant = parseAccessAnswer(authorizedAnswer());
  ASSERT_TRUE(grant) << grant.error().describe();
  EXPECT_EQ(grant->credentialType, "aws");
  EXPECT_EQ(grant->field("accessKeyId"), "AKIA");
  EXPECT_EQ(grant->field("sessionToken"), "session");
  EXPECT_FALSE(grant->field("expiresAt"));
  EXPECT_EQ(grant->injection.method, "aws-sigv4");
  EXPECT_EQ(grant->serverWorkload, "s3");
  EXPECT_EQ(grant->contextId, "ctx-1");
  EXPECT_LT(grant->refreshAt, grant->expiresAt);
  EXPECT_FALSE(grant->secretValue());
  EXPECT_EQ(grant->fingerprint().find("secret"), std::string::npos);
}

TEST(Grant, SecretValueReadsTokenAccessTokenOrApiKey) {
  for (const char* name : {"token", "accessToken", "apiKey"}) {
    auto answer = authorizedAnswer();
    answer["grant"]["credential"] = {{"type", "x"}, {name, "v-" + std::string(name)}};
    auto grant = parseAccessAnswer(answer);
    ASSERT_TRUE(grant) << grant.error().describe();
    EXPECT_EQ(grant->secretValue(), "v-" + std::string(name));
  }
}

TEST(Grant, AnUnauthorizedAnswerIsPermissionDeniedWithTheReason) {
  nlohmann::json answer = {{"contextId", "ctx-2"},
                           {"outcome", "unauthorized"},
                           {"reasonCode", "no_policy"},
                           {"reason", "no access policy covers this"}};
  auto grant = parseAccessAnswer(answer);
  ASSERT_FALSE(grant);
  EXPECT_EQ(grant.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(grant.error().message, "no_policy: no access policy covers this (context ctx-2)");
}

TEST(Grant, AnErrorOutcomeIsUnavailable) {
  nlohmann::json answer = {{"contextId", "c"},
                           {"outcome", "error"},
                           {"reasonCode", "provider_error"},
                           {"reason", "AWS said no"}};
  auto grant = parseAccessAnswer(answer);
  ASSERT_FALSE(grant);
  EXPECT_EQ(grant.error().code, ErrorCode::kUnavailable);
}

TEST(Grant, MalformedAnswersNameTheField) {
  struct Case {
    const char* pointer;
    nlohmann::json answer;
  };
  auto noGrant = authorizedAnswer();
  noGrant.erase("grant");
  auto noMethod = authorizedAnswer();
  noMethod["grant"]["injection"].erase("method");
  auto badTime = authorizedAnswer();
  badTime["grant"]["expiresAt"] = "tomorrow";
  auto noType = authorizedAnswer();
  noType["grant"]["credential"].erase("type");
  for (const auto& c : {Case{"/grant", noGrant}, Case{"/grant/injection/method", noMethod},
                        Case{"/grant/expiresAt", badTime}, Case{"/grant/credential/type", noType},
                        Case{"/outcome", nlohmann::json{{"outcome", "maybe"}}}}) {
    auto grant = parseAccessAnswer(c.answer);
    ASSERT_FALSE(grant) << c.pointer;
    EXPECT_EQ(grant.error().code, ErrorCode::kHttpUpstream);
    EXPECT_NE(grant.error().message.find(c.pointer), std::string::npos) << grant.error().message;
  }
}

}  // namespace
}  // namespace tessera::edge
