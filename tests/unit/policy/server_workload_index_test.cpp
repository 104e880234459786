#include "policy/server_workload_index.hpp"

#include <gtest/gtest.h>

namespace tessera::policy {
namespace {

model::ConfigObject serverWorkload(const std::string& name, const std::string& host, int port,
                                   const std::string& protocol = "http") {
  model::ConfigObject o;
  o.kind = model::Kind::kServerWorkload;
  o.metadata.name = name;
  o.spec = {{"host", host},
            {"port", port},
            {"protocol", protocol},
            {"authentication", {{"method", "bearer"}}}};
  return o;
}

Target target(std::string host, std::uint16_t port, std::string protocol = "http") {
  Target t;
  t.host = std::move(host);
  t.port = port;
  t.protocol = std::move(protocol);
  return t;
}

class PolicyServerWorkloadIndex : public ::testing::Test {
 protected:
  PolicyServerWorkloadIndex()
      : snapshot_(1, {serverWorkload("s3", "*.s3.amazonaws.com", 443),
                      serverWorkload("s3-special", "special.s3.amazonaws.com", 443),
                      serverWorkload("s3-zz-duplicate", "*.s3.amazonaws.com", 443),
                      serverWorkload("api", "api.example.com", 443),
                      serverWorkload("api-plain", "api.example.com", 80),
                      serverWorkload("db", "orders.db.internal", 5432, "postgres"),
                      serverWorkload("ip", "10.0.0.7", 8443)}),
        index_(snapshot_) {}

  std::string matched(const Target& t) {
    const auto* o = index_.match(t);
    return o == nullptr ? "(none)" : o->metadata.name;
  }

  model::ConfigSnapshot snapshot_;
  ServerWorkloadIndex index_;
};

TEST_F(PolicyServerWorkloadIndex, ExactHostsPortsAndProtocols) {
  EXPECT_EQ(matched(target("api.example.com", 443)), "api");
  EXPECT_EQ(matched(target("api.example.com", 80)), "api-plain");
  EXPECT_EQ(matched(target("API.Example.COM.", 443)), "api") << "case and a trailing dot ignored";
  EXPECT_EQ(matched(target("api.example.com", 8080)), "(none)");
  EXPECT_EQ(matched(target("api.example.com", 443, "postgres")), "(none)");
  EXPECT_EQ(matched(target("orders.db.internal", 5432, "postgres")), "db");
  EXPECT_EQ(matched(target("10.0.0.7", 8443)), "ip");
  EXPECT_EQ(matched(target("example.com", 443)), "(none)");
}

TEST_F(PolicyServerWorkloadIndex, WildcardsMatchOneLabelAndExactWins) {
  EXPECT_EQ(matched(target("bucket.s3.amazonaws.com", 443)), "s3")
      << "of two identical wildcards, the first by name";
  EXPECT_EQ(matched(target("special.s3.amazonaws.com", 443)), "s3-special");
  EXPECT_EQ(matched(target("a.b.s3.amazonaws.com", 443)), "(none)");
  EXPECT_EQ(matched(target("s3.amazonaws.com", 443)), "(none)") << "the apex is not covered";
  EXPECT_EQ(matched(target(".s3.amazonaws.com", 443)), "(none)");
  EXPECT_EQ(matched(target("bucket.s3.amazonaws.com", 80)), "(none)");
}

}  // namespace
}  // namespace tessera::policy
