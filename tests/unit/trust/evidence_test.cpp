#include "trust/evidence.hpp"

#include <gtest/gtest.h>

#include "jose/base64url.hpp"

namespace tessera::trust {
namespace {

using nlohmann::json;

std::vector<std::string> pointers(const Error& error) {
  std::vector<std::string> out;
  for (const auto& f : error.fields) {
    out.push_back(f.pointer);
  }
  return out;
}

TEST(Evidence, ParsesEveryKind) {
  const json body = {
      {"tokens", {"a.b.c", "d.e.f"}},
      {"awsGetCallerIdentity",
       {{"method", "POST"},
        {"url", "https://sts.amazonaws.com/"},
        {"headers",
         {{"Authorization", "AWS4-HMAC-SHA256 ..."}, {"X-Amz-Date", "20261130T000000Z"}}},
        {"body", "Action=GetCallerIdentity&Version=2011-06-15"}}},
      {"awsInstanceIdentity", {{"document", "{}"}, {"rsa2048", "MIIB"}}},
      {"azureAttestedDocument", {{"encoding", "pkcs7"}, {"signature", "MIIC"}}}};
  auto e = parseEvidence(body, "/evidence");
  ASSERT_TRUE(e.ok()) << e.error().describe();
  EXPECT_EQ(e->tokens.size(), 2u);
  ASSERT_TRUE(e->awsGetCallerIdentity);
  EXPECT_EQ(e->awsGetCallerIdentity->headers.size(), 2u);
  EXPECT_EQ(e->awsGetCallerIdentity->body, "Action=GetCallerIdentity&Version=2011-06-15");
  ASSERT_TRUE(e->awsInstanceIdentity);
  EXPECT_EQ(e->awsInstanceIdentity->rsa2048, "MIIB");
  ASSERT_TRUE(e->azureAttestedDocument);
  EXPECT_FALSE(e->empty());
  EXPECT_TRUE(parseEvidence(json::object(), "/evidence")->empty());
}

TEST(Evidence, NamesEveryBadMemberAtOnce) {
  const json body = {{"tokens", {"ok", 7, ""}},
                     {"tokenz", {"typo"}},
                     {"awsInstanceIdentity", {{"document", "{}"}}},
                     {"azureAttestedDocument", {{"encoding", "json"}, {"signature", "x"}}},
                     {"awsGetCallerIdentity", {{"method", "POST"}, {"url", "https://x/"}}}};
  auto e = parseEvidence(body, "/evidence");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  const auto p = pointers(e.error());
  for (const char* expected :
       {"/evidence/tokens/1", "/evidence/tokens/2", "/evidence/tokenz",
        "/evidence/awsInstanceIdentity/rsa2048", "/evidence/azureAttestedDocument/encoding",
        "/evidence/awsGetCallerIdentity/headers"}) {
    EXPECT_NE(std::find(p.begin(), p.end(), expected), p.end()) << expected;
  }
}

TEST(Evidence, LimitsSizesAndCounts) {
  json tooMany = {{"tokens", json::array()}};
  for (std::size_t i = 0; i <= kMaxEvidenceTokens; ++i) {
    tooMany["tokens"].push_back("t");
  }
  EXPECT_FALSE(parseEvidence(tooMany, "/evidence").ok());
  json tooLarge = {{"tokens", {std::string(kMaxEvidenceTokenBytes + 1, 'a')}}};
  EXPECT_FALSE(parseEvidence(tooLarge, "/evidence").ok());
  json headers = json::object();
  for (std::size_t i = 0; i <= kMaxSignedRequestHeaders; ++i) {
    headers["h" + std::to_string(i)] = "v";
  }
  json request = {
      {"awsGetCallerIdentity",
       {{"method", "POST"}, {"url", "https://sts.amazonaws.com/"}, {"headers", headers}}}};
  EXPECT_FALSE(parseEvidence(request, "/evidence").ok());
  EXPECT_FALSE(parseEvidence(json::array(), "/evidence").ok());
}

TEST(Evidence, UnverifiedIssuerOnlyReadsTheClaim) {
  const std::string payload =
      jose::base64UrlEncode(R"({"iss":"https://issuer.example","sub":"x"})");
  EXPECT_EQ(unverifiedIssuer("e30." + payload + ".sig"), "https://issuer.example");
  EXPECT_EQ(unverifiedIssuer("not a token"), "");
  EXPECT_EQ(unverifiedIssuer("a.%%%.c"), "");
  EXPECT_EQ(unverifiedIssuer("e30." + jose::base64UrlEncode("[1]") + ".c"), "");
  EXPECT_EQ(unverifiedIssuer("e30." + jose::base64UrlEncode(R"({"iss":7})") + ".c"), "");
  // Escapes are decoded; a payload strict JSON refuses (a repeated name) names no issuer.
  EXPECT_EQ(
      unverifiedIssuer("e30." + jose::base64UrlEncode(R"({"iss":"https:\/\/a\u002eb"})") + ".c"),
      "https://a.b");
  EXPECT_EQ(unverifiedIssuer(
                "e30." + jose::base64UrlEncode(R"({"iss":"https://a","iss":"https://b"})") + ".c"),
            "");
  EXPECT_EQ(unverifiedKid(jose::base64UrlEncode(R"({"alg":"RS256","kid":"k-1"})") + ".e30.c"),
            "k-1");
}

}  // namespace
}  // namespace tessera::trust

namespace tessera::trust {
namespace {
TEST(Evidence, UnverifiedKidReadsTheHeader) {
  const std::string header = jose::base64UrlEncode(R"({"alg":"RS256","kid":"k-1"})");
  EXPECT_EQ(unverifiedKid(header + ".e30.sig"), "k-1");
  EXPECT_EQ(unverifiedKid("e30.e30.sig"), "");
  EXPECT_EQ(unverifiedKid("garbage"), "");
}
}  // namespace
}  // namespace tessera::trust
