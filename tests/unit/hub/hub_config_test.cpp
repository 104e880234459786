#include "hub/hub_config.hpp"

#include <gtest/gtest.h>

namespace tessera::hub {
namespace {

constexpr const char* kMinimal = R"(issuer: https://hub.example.com
store:
  sqlite:
    path: data/hub.db
keyEncryptionKey:
  file: /etc/tessera/kek
)";

Result<HubConfig> parse(const std::string& yaml) {
  return parseHubConfig(yaml, "hub.yaml", "/srv/tessera");
}

void expectError(const std::string& yaml, const std::string& fragment) {
  auto c = parse(yaml);
  ASSERT_FALSE(c.ok()) << yaml;
  EXPECT_EQ(c.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(c.error().message.find(fragment), std::string::npos)
      << "message: " << c.error().message << "\nexpected: " << fragment;
}

TEST(HubConfig, MinimalWithDefaults) {
  auto c = parse(kMinimal);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->issuer, "https://hub.example.com");
  EXPECT_EQ(c->sqlitePath, "/srv/tessera/data/hub.db");
  EXPECT_EQ(c->kek.file, "/etc/tessera/kek");
  EXPECT_EQ(c->keys.algorithms, (std::vector<std::string>{"RS256", "ES256"}));
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->keys.maxTokenLifetime, std::chrono::hours(12));
}

TEST(HubConfig, FullDocument) {
  auto c = parse(std::string(kMinimal) + R"(server:
  listen: "[::1]:9443"
  threads: 4
  tls: {certFile: tls/cert.pem, keyFile: tls/key.pem}
  readTimeout: 10s
keys:
  algorithms: [ES256]
  rotationPeriod: 7d
  prepublish: 1d
  maxTokenLifetime: 1h
log: {level: debug, format: json}
)");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->server.threads, 4);
  EXPECT_EQ(c->server.tlsCertFile, "/srv/tessera/tls/cert.pem");
  EXPECT_EQ(c->server.readTimeout, std::chrono::seconds(10));
  EXPECT_EQ(c->keys.rotationPeriod, std::chrono::hours(24 * 7));
  EXPECT_EQ(c->logFormat, "json");
}

TEST(HubConfig, ErrorsNameFileLineAndField) {
  expectError(std::string(kMinimal) + "keys:\n  rotationPeriod: soon\n",
              "hub.yaml:8: keys.rotationPeriod: 'soon' is not a duration");
  expectError(std::string(kMinimal) + "server:\n  lisen: 1.2.3.4:80\n",
              "hub.yaml:8: server.lisen: unknown field");
  expectError(std::string(kMinimal) + "keys:\n  algorithms: [HS256]\n",
              "keys.algorithms: 'HS256' is not RS256 or ES256");
  expectError(std::string(kMinimal) + "keys:\n  rsaBits: 1024\n",
              "keys.rsaBits: 1024 is outside 2048..8192");
  expectError("store: {sqlite: {path: x}}\nkeyEncryptionKey: {env: K}\n",
              "hub.yaml:1: issuer: is required");
  expectError("issuer: [a\n", "hub.yaml:");
  expectError("- a\n- b\n", "the document must be a mapping");
}

TEST(HubConfig, AccessEvents) {
  auto defaults = parse(kMinimal);
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->events.file.has_value()) << "store only by default";
  EXPECT_EQ(defaults->events.maxQueued, 10'000u);
  EXPECT_EQ(defaults->events.maxWait, std::chrono::seconds(1));

  auto c = parse(std::string(kMinimal) +
                 "events:\n  file: audit/events.jsonl\n  maxQueued: 500\n  maxWait: 250ms\n");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->events.file, "/srv/tessera/audit/events.jsonl");
  EXPECT_EQ(c->events.maxQueued, 500u);
  EXPECT_EQ(c->events.maxWait, std::chrono::milliseconds(250));

  auto out = parse(std::string(kMinimal) + "events: {file: '-', maxWait: 0s}\n");
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(out->events.file, "-") << "stdout, not a file named - in the config directory";
  EXPECT_EQ(out->events.maxWait, std::chrono::milliseconds(0));

  expectError(std::string(kMinimal) + "events:\n  maxQueued: 0\n",
              "hub.yaml:8: events.maxQueued: 0 is outside 1..1000000");
  expectError(std::string(kMinimal) + "events:\n  maxWait: 2m\n",
              "hub.yaml:8: events.maxWait: must be at most 30s");
  expectError(std::string(kMinimal) + "events:\n  maxWait: soon\n",
              "events.maxWait: 'soon' is not a duration");
  expectError(std::string(kMinimal) + "events:\n  file: ''\n", "events.file: must not be empty");
  expectError(std::string(kMinimal) + "events:\n  path: x\n", "events.path: unknown field");
}

TEST(HubConfig, IssuerMustBeHttpsExceptLoopback) {
  const std::string rest = "store: {sqlite: {path: x}}\nkeyEncryptionKey: {env: K}\n";
  expectError("issuer: http://hub.example.com\n" + rest, "issuer: must be an https:// URL");
  expectError("issuer: http://127.0.0.1.evil.com\n" + rest, "must be an https:// URL");
  expectError("issuer: https://hub.example.com/\n" + rest, "must not end with '/'");
  EXPECT_TRUE(parse("issuer: http://127.0.0.1:8080\n" + rest).ok());
  EXPECT_TRUE(parse("issuer: https://hub.example.com/tenant-a\n" + rest).ok());
}

TEST(HubConfig, PostgresStore) {
  auto c = parse(R"(issuer: https://hub.example.com
store:
  postgres:
    url: postgresql://tessera@db.internal:5432/tessera?sslmode=verify-full
keyEncryptionKey: {env: TESSERA_KEK}
)");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->postgresUrl, "postgresql://tessera@db.internal:5432/tessera?sslmode=verify-full");
  const std::string head = "issuer: https://h.example\nkeyEncryptionKey: {env: K}\n";
  expectError(head + "store: {sqlite: {path: a}, postgres: {url: b}}\n",
              "store: set exactly one of sqlite or postgres");
  expectError(head + "store: {}\n", "set exactly one of sqlite or postgres");
  expectError(head + "store: {postgres: {dsn: x}}\n", "store.postgres.dsn: unknown field");
}

TEST(HubConfig, KekNeedsExactlyOneSource) {
  const std::string head = "issuer: https://h.example\nstore: {sqlite: {path: x}}\n";
  expectError(head, "keyEncryptionKey: set exactly one of file or env");
  expectError(head + "keyEncryptionKey: {file: a, env: B}\n", "set exactly one");
}

TEST(HubConfig, KeyPolicyMustBeCoherent) {
  expectError(std::string(kMinimal) + "keys:\n  rotationPeriod: 1h\n  prepublish: 2h\n",
              "rotationPeriod must exceed prepublish");
  expectError(std::string(kMinimal) +
                  "keys:\n  rotationPeriod: 2h\n  prepublish: 1h\n  maxTokenLifetime: 3h\n",
              "rotationPeriod must be at least maxTokenLifetime");
}

}  // namespace
}  // namespace tessera::hub
