#include "edge/route_table.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tessera::edge {
namespace {

nlohmann::json workload(const std::string& name, const std::string& host, int port,
                        nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json w = {{"name", name},
                      {"host", host},
                      {"port", port},
                      {"protocol", "http"},
                      {"authentication", {{"method", "bearer"}}}};
  w.update(extra);
  return w;
}

TEST(RouteTable, ExactHostsWinOverWildcardsAndPortsMustMatch) {
  auto table = RouteTable::fromJson(
      {{"revision", 7},
       {"serverWorkloads",
        {workload("wild", "*.example.com", 443), workload("exact", "api.example.com", 443),
         workload("plain", "api.example.com", 80,
                  {{"tls", {{"enabled", false}}},
                   {"authentication",
                    {{"method", "header"}, {"header", "X-Key"}, {"prefix", "K "}}}})}}});
  ASSERT_TRUE(table) << table.error().describe();
  EXPECT_EQ(table->revision(), 7);
  ASSERT_NE(table->match("api.example.com", 443), nullptr);
  EXPECT_EQ(table->match("api.example.com", 443)->serverWorkload, "exact");
  EXPECT_EQ(table->match("other.example.com", 443)->serverWorkload, "wild");
  EXPECT_EQ(table->match("other.example.com", 8443), nullptr);
  EXPECT_EQ(table->match("example.com", 443), nullptr);
  const Route* plain = table->match("API.example.com", 80);
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->upstreamTls);
  EXPECT_EQ(plain->injection.method, "header");
  EXPECT_EQ(plain->injection.header, "X-Key");
  EXPECT_EQ(plain->injection.prefix, "K ");
  EXPECT_TRUE(table->match("api.example.com", 443)->upstreamTls);
}

TEST(RouteTable, TlsSettingsAreRead) {
  auto table = RouteTable::fromJson(
      {{"revision", 1},
       {"serverWorkloads",
        {workload(
            "s3", "s3.local", 9000,
            {{"tls", {{"decrypt", true}, {"caBundle", "PEM"}, {"serverName", "s3.internal"}}}})}}});
  ASSERT_TRUE(table);
  const Route* r = table->match("s3.local", 9000);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->decrypt);
  EXPECT_EQ(r->caBundlePem, "PEM");
  EXPECT_EQ(r->serverName, "s3.internal");
}

TEST(RouteTable, MalformedAnswersNameTheField) {
  EXPECT_FALSE(RouteTable::fromJson({{"revision", 1}}));
  auto noPort = RouteTable::fromJson({{"serverWorkloads", {{{"name", "x"}, {"host", "h"}}}}});
  ASSERT_FALSE(noPort);
  EXPECT_NE(noPort.error().message.find("/serverWorkloads/0"), std::string::npos);
  auto noMethod = RouteTable::fromJson(
      {{"serverWorkloads", {{{"name", "x"}, {"host", "h"}, {"port", 1}, {"protocol", "http"}}}}});
  ASSERT_FALSE(noMethod);
  EXPECT_NE(noMethod.error().message.find("authentication/method"), std::string::npos);
}

}  // namespace
}  // namespace tessera::edge
