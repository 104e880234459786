#include "edge/http_injector.hpp"

#include <gtest/gtest.h>

#include "common/time_format.hpp"

namespace tessera::edge {
namespace {

const SystemTime kNow = fromUnixSeconds(1'800'000'000);

RequestHead head(std::string target = "/v1/items?a=1") {
  RequestHead h;
  h.method = "GET";
  h.target = std::move(target);
  h.headers.add("Host", "api.example.com");
  h.headers.add("Authorization", "Bearer client-placeholder");
  h.headers.add("X-Api-Key", "client-key");
  return h;
}

Grant grantOf(std::string type, std::map<std::string, std::string> fields, Injection injection) {
  Grant g;
  g.credentialType = std::move(type);
  g.fields = std::move(fields);
  g.injection = std::move(injection);
  return g;
}

TEST(HttpInjector, BearerReplacesTheClientsAuthorization) {
  for (const char* field : {"token", "accessToken", "apiKey"}) {
    auto h = head();
    ASSERT_TRUE(injectHttp(h, grantOf("x", {{field, "granted"}}, {"bearer"}), kNow));
    EXPECT_EQ(h.headers.get("Authorization"), "Bearer granted");
  }
}

TEST(HttpInjector, HeaderWithPrefixReplacesOnlyThatHeader) {
  auto h = head();
  ASSERT_TRUE(
      injectHttp(h, grantOf("api-key", {{"apiKey", "k1"}}, {"header", "x-api-key", "Key "}), kNow));
  EXPECT_EQ(h.headers.get("X-Api-Key"), "Key k1");
  EXPECT_EQ(h.headers.get("Authorization"), "Bearer client-placeholder");
  int count = 0;
  for (const auto& [name, value] : h.headers) {
    count += net::equalsIgnoreCase(name, "x-api-key") ? 1 : 0;
  }
  EXPECT_EQ(count, 1);
}

TEST(HttpInjector, QueryReplacesTheParameterAndKeepsTheRestAsSent) {
  auto h = head("/p?a=1&api_key=mine&b=x%20y&api_key=again");
  ASSERT_TRUE(
      injectHttp(h, grantOf("api-key", {{"apiKey", "k 1&"}}, {"query", "", "", "api_key"}), kNow));
  EXPECT_EQ(h.target, "/p?a=1&b=x%20y&api_key=k%201%26");
  auto bare = head("/p");
  ASSERT_TRUE(
      injectHttp(bare, grantOf("api-key", {{"apiKey", "k"}}, {"query", "", "", "key"}), kNow));
  EXPECT_EQ(bare.target, "/p?key=k");
}

TEST(HttpInjector, BasicEncodesTheUsernameAndPassword) {
  auto h = head();
  ASSERT_TRUE(injectHttp(
      h, grantOf("username-password", {{"username", "svc"}, {"password", "pw"}}, {"basic"}), kNow));
  EXPECT_EQ(h.headers.get("Authorization"), "Basic c3ZjOnB3");
}

TEST(HttpInjector, NoneLeavesTheRequestAlone) {
  auto h = head();
  ASSERT_TRUE(injectHttp(h, grantOf("x", {}, {"none"}), kNow));
  EXPECT_EQ(h.headers.get("Authorization"), "Bearer client-placeholder");
}

TEST(HttpInjector, MismatchedCredentialsFailClosed) {
  struct Case {
    Grant grant;
    ErrorCode code;
  };
  for (const auto& c :
       {Case{grantOf("aws", {{"accessKeyId", "A"}, {"secretAccessKey", "S"}}, {"bearer"}),
             ErrorCode::kConfigInvalid},
        Case{grantOf("bearer-token", {{"token", "t"}}, {"basic"}), ErrorCode::kConfigInvalid},
        Case{grantOf("bearer-token", {{"token", "t"}}, {"aws-sigv4"}), ErrorCode::kConfigInvalid},
        Case{grantOf("username-password", {{"username", "u"}, {"password", "p"}}, {"password"}),
             ErrorCode::kConfigInvalid},
        Case{grantOf("aws", {{"accessKeyId", "A"}, {"secretAccessKey", "S"}}, {"aws-sigv4"}),
             ErrorCode::kInvalidArgument}}) {
    auto h = head();
    auto r = injectHttp(h, c.grant, kNow);
    ASSERT_FALSE(r) << c.grant.injection.method;
    EXPECT_EQ(r.error().code, c.code) << r.error().describe();
    EXPECT_EQ(h.headers.get("Authorization"), "Bearer client-placeholder");
  }
}

}  // namespace
}  // namespace tessera::edge
