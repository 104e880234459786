#include "edge/edge_config.hpp"

#include <gtest/gtest.h>

namespace tessera::edge {
namespace {

constexpr const char* kMinimal = R"(
hub: {url: "https://hub.example.com", tokenFile: edge-token}
proxy: {listen: "127.0.0.1:3128"}
)";

Result<EdgeConfig> parse(const std::string& yaml) {
  return parseEdgeConfig(yaml, "edge.yaml", "/etc/tessera");
}

void expectError(const std::string& yaml, const std::string& fragment) {
  auto c = parse(yaml);
  ASSERT_FALSE(c) << yaml;
  EXPECT_EQ(c.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(c.error().message.find(fragment), std::string::npos) << c.error().message;
}

TEST(EdgeConfig, AMinimalConfigurationTakesTheDefaults) {
  auto c = parse(kMinimal);
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->hub.url, "https://hub.example.com");
  EXPECT_EQ(c->hub.tokenFile, std::filesystem::path("/etc/tessera/edge-token"));
  EXPECT_EQ(c->proxy.listen, "127.0.0.1:3128");
  EXPECT_EQ(c->proxy.drainTimeout, std::chrono::seconds(10));
  EXPECT_EQ(c->adminListen, "127.0.0.1:9901");
  EXPECT_FALSE(c->decrypt.enabled());
  EXPECT_EQ(c->grants.maxEntries, 1000u);
  EXPECT_TRUE(c->evidence.hostFacts);
}

TEST(EdgeConfig, EverySectionParses) {
  auto c = parse(R"(
hub: {url: "http://127.0.0.1:8080", tokenEnv: EDGE_TOKEN, caBundle: hub-ca.pem, timeout: 3s,
      routesRefresh: 30s}
proxy: {listen: "127.0.0.1:3128", maxConnections: 100, idleTimeout: 30s, ioTimeout: 5s,
        drainTimeout: 3s}
tls: {selfSignedDir: /var/lib/tessera/edge-ca, upstreamCaBundle: roots.pem}
admin: {listen: "127.0.0.1:9999"}
evidence:
  tokenFiles: [/var/run/secrets/tokens/tessera]
  tokenEnv: [GITLAB_ID_TOKEN]
  githubActions: {audience: tessera}
grants: {maxEntries: 50, deniedTtl: 5s}
postgres:
  - {listen: "127.0.0.1:6432", host: db.internal, port: 5432, tls: verify-full, caBundle: db-ca.pem}
metadata:
  listen: "127.0.0.1:8090"
  aws: {target: {host: s3.amazonaws.com, port: 443}, authorizationTokenFile: aws-token}
  gce: {target: {host: storage.googleapis.com}, projectId: demo}
  azure: {resources: [{resource: "https://management.azure.com/", target: {host: management.azure.com}}]}
threads: 2
log: {level: debug, format: json}
)");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->hub.tokenEnv, "EDGE_TOKEN");
  EXPECT_EQ(c->proxy.maxConnections, 100u);
  EXPECT_EQ(c->proxy.idleTimeout, std::chrono::seconds(30));
  EXPECT_EQ(c->proxy.ioTimeout, std::chrono::seconds(5));
  EXPECT_EQ(c->proxy.drainTimeout, std::chrono::seconds(3));
  EXPECT_EQ(c->hub.caBundle, std::filesystem::path("/etc/tessera/hub-ca.pem"));
  EXPECT_EQ(c->hub.routesRefresh, std::chrono::seconds(30));
  EXPECT_TRUE(c->decrypt.enabled());
  EXPECT_EQ(c->decrypt.upstreamCaBundle, std::filesystem::path("/etc/tessera/roots.pem"));
  EXPECT_EQ(c->evidence.githubAudience, "tessera");
  ASSERT_EQ(c->postgres.size(), 1u);
  EXPECT_EQ(c->postgres[0].tlsMode, "verify-full");
  EXPECT_EQ(c->postgres[0].caBundle, std::filesystem::path("/etc/tessera/db-ca.pem"));
  ASSERT_TRUE(c->metadata.routes.aws);
  EXPECT_EQ(c->metadata.routes.aws->target.host, "s3.amazonaws.com");
  EXPECT_EQ(c->metadata.routes.aws->authorizationTokenFile, "/etc/tessera/aws-token");
  ASSERT_TRUE(c->metadata.routes.gce);
  EXPECT_EQ(c->metadata.routes.gce->target.port, 443);
  ASSERT_TRUE(c->metadata.routes.azure);
  EXPECT_EQ(c->metadata.routes.azure->resources.size(), 1u);
  EXPECT_EQ(c->threads, 2);
}

TEST(EdgeConfig, ErrorsNameTheFieldAndTheReason) {
  expectError("proxy: {listen: \"127.0.0.1:3128\"}\n", "hub.url: is required");
  expectError("hub: {url: \"http://hub.example.com\", tokenFile: t}\nproxy: {listen: \":1\"}\n",
              "hub.url: must be an https:// URL");
  expectError("hub: {url: \"https://h\", tokenFile: t, tokenEnv: E}\nproxy: {listen: \"a:1\"}\n",
              "exactly one of tokenFile and tokenEnv");
  expectError(std::string(kMinimal) + "proxie: {}\n", "proxie");
  expectError("hub: {url: \"https://h\", tokenFile: t}\n", "nothing to serve");
  expectError(std::string(kMinimal) + "postgres: [{listen: \"127.0.0.1:1\", host: db, tls: yes}]\n",
              "postgres[0].tls: must be disable, require or verify-full");
  expectError(
      std::string(kMinimal) + "metadata: {listen: \"127.0.0.1:1\", aws: {target: {host: s3}}}\n",
      "authorizationToken or authorizationTokenFile is required");
  expectError(
      std::string(kMinimal) + "metadata: {aws: {target: {host: s3}, authorizationToken: x}}\n",
      "listen and at least one of aws, gce, azure go together");
  expectError(std::string(kMinimal) + "tls: {caCertFile: ca.pem}\n",
              "caCertFile and caKeyFile go together");
  expectError(std::string(kMinimal) + "hub2: 1\n", "hub2");
  expectError(
      "hub: {url: \"https://h\", tokenFile: t}\n"
      "proxy: {listen: \"127.0.0.1:3128\", drainTimeout: 11m}\n",
      "proxy.drainTimeout: must be at most 10m");
}

}  // namespace
}  // namespace tessera::edge
