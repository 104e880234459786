// Grants end to end over HTTP on a hub with a manual clock: an oidc-id-token grant verified
// against the hub's own JWKS, the grant cache seen through the API (one issue per identity, also
// under concurrent first requests), explain issuing nothing, provider failures as Error
// decisions, and static secrets sealed at rest and found nowhere but in an authorized grant.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "common/time_format.hpp"
#include "crypto/random.hpp"
#include "jose/jwt.hpp"
#include "net/http_client.hpp"
#include "scratch_dir.hpp"
#include "test_hub.hpp"

namespace tessera::hub {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const SystemTime kNow = SystemTime(seconds(1'796'061'600));
const std::string kIssuer = "https://oidc.eks.us-west-2.amazonaws.com/id/GRANTS";

json object(const std::string& kind, const std::string& name, json spec) {
  return {{"apiVersion", "tessera.dev/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Grants : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::testHubConfig("grants", "sqlite", dir_);
    config_.events.file = dir_ / "events.jsonl";
    start();
    json jwks = {{"keys", {key_.toPublicJson()}}};
    auto applied = post(
        "/v1/apply", admin_,
        {{"objects", json::array({
                         object("TrustProvider", "cluster",
                                {{"type", "kubernetes"},
                                 {"issuer", kIssuer},
                                 {"audiences", {"tessera"}},
                                 {"jwks", jwks.dump()}}),
                         object("ClientWorkload", "sales",
                                {{"match", {{"attribute", "k8s.namespace"}, {"equals", "sales"}}}}),
                     })}});
    ASSERT_EQ(applied.first, 200) << applied.second.dump();
  }

  void start() {
    hub_ = testing::startTestHub(config_, clock_);
    base_ = "http://127.0.0.1:" + std::to_string(hub_->port());
    admin_ = hub_->adminTokens().create(AdminRole::kAdmin, "test")->token;
    edge_ = hub_->adminTokens().create(AdminRole::kEdge, "edge")->token;
    auditor_ = hub_->adminTokens().create(AdminRole::kAuditor, "auditor")->token;
  }

  void TearDown() override { hub_.reset(); }

  // A server workload on `host` reached through a policy with the credential provider `spec`.
  void target(const std::string& name, const std::string& host, json provider,
              json authentication = {{"method", "bearer"}}) {
    auto applied = post(
        "/v1/apply", admin_,
        {{"objects", json::array({
                         object("CredentialProvider", name, std::move(provider)),
                         object("ServerWorkload", name,
                                {{"host", host},
                                 {"port", 443},
                                 {"protocol", "http"},
                                 {"authentication", authentication}}),
                         object("AccessPolicy", name,
                                {{"clientWorkloads", {"sales"}},
                                 {"trustProviders", {{"match", "any"}, {"names", {"cluster"}}}},
                                 {"credentialProvider", name},
                                 {"serverWorkload", name}}),
                     })}});
    ASSERT_EQ(applied.first, 200) << applied.second.dump();
  }

  std::pair<int, json> call(const std::string& method, const std::string& path,
                            const std::string& token, const json& body = nullptr,
                            std::string* raw = nullptr) {
    net::ClientRequest request(method, base_ + path);
    if (!body.is_null()) {
      request.withBody(body.dump(), "application/json");
    }
    request.withHeader("Authorization", "Bearer " + token);
    auto response = client_->requestBlocking(request);
    EXPECT_TRUE(response.ok()) << response.error().describe();
    if (!response) {
      return {0, json()};
    }
    if (raw != nullptr) {
      *raw += response->body;
    }
    return {response->status, json::parse(response->body, nullptr, false)};
  }
  std::pair<int, json> get(const std::string& path, const std::string& token) {
    return call("GET", path, token);
  }
  std::pair<int, json> post(const std::string& path, const std::string& token, const json& body) {
    return call("POST", path, token, body);
  }

  std::string podToken(const std::string& ns = "sales", const std::string& pod = "sales-1") {
    const auto iat = toUnixSeconds(kNow);
    json claims = {{"iss", kIssuer},
                   {"aud", {"tessera"}},
                   {"sub", "system:serviceaccount:" + ns + ":analytics"},
                   {"iat", iat},
                   {"nbf", iat},
                   {"exp", iat + 3600},
                   {"kubernetes.io",
                    {{"namespace", ns},
                     {"serviceaccount", {{"name", "analytics"}, {"uid", "sa-uid"}}},
                     {"pod", {{"name", pod}, {"uid", pod + "-uid"}}}}}};
    return *jose::signJwt(key_, jose::Algorithm::kRs256, claims);
  }

  static json request(const std::string& token, const std::string& host) {
    return {{"evidence", {{"tokens", {token}}}},
            {"target", {{"host", host}, {"port", 443}, {"protocol", "http"}}}};
  }

  ManualClock clock_{kNow};
  jose::Jwk key_ = *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "g-1"});
  testing::ScratchDir scratch_{"grants"};
  const std::filesystem::path dir_ = scratch_.path();
  HubConfig config_;
  std::unique_ptr<Hub> hub_;
  std::string base_, admin_, edge_, auditor_;
  std::shared_ptr<net::HttpClient> client_ = *net::HttpClient::create();
};

TEST_F(Grants, AnOidcIdTokenGrantVerifiesAgainstTheHubsJwks) {
  target("api", "api.internal.example",
         {{"type", "oidc-id-token"},
          {"audience", "https://api.internal.example"},
          {"subject", "${k8s.namespace}/${k8s.serviceAccountName}"},
          {"lifetimeSeconds", 600},
          {"algorithm", "ES256"},
          {"claims", {{"pod", "${k8s.podName}"}}}},
         {{"method", "header"}, {"header", "X-Api-Token"}, {"prefix", "Token "}});
  auto [status, decision] = post("/v1/access", edge_, request(podToken(), "api.internal.example"));
  ASSERT_EQ(status, 200);
  ASSERT_EQ(decision["outcome"], "authorized") << decision.dump(2);
  ASSERT_TRUE(decision.contains("grant")) << decision.dump(2);
  const auto& grant = decision["grant"];
  EXPECT_EQ(grant["contextId"], decision["contextId"]);
  EXPECT_EQ(grant["injection"],
            (json{{"method", "header"}, {"header", "X-Api-Token"}, {"prefix", "Token "}}));
  EXPECT_EQ(grant["credential"]["type"], "id-token");
  EXPECT_EQ(grant["expiresAt"], formatRfc3339(kNow + seconds(600)));
  EXPECT_EQ(grant["credential"]["expiresAt"], grant["expiresAt"]);
  EXPECT_EQ(grant["refreshAt"], formatRfc3339(kNow + seconds(480))) << "80% of the lifetime";

  // The hub's JWKS, as a relying party fetches it, verifies the token.
  auto jwksResponse = client_->requestBlocking(net::ClientRequest::get(base_ + "/jwks"));
  ASSERT_TRUE(jwksResponse.ok());
  auto jwks = jose::Jwks::parse(jwksResponse->body);
  ASSERT_TRUE(jwks.ok()) << jwks.error().message;
  jose::JwtValidationOptions options;
  options.issuer = config_.issuer;
  options.audiences = {"https://api.internal.example"};
  auto verified = jose::verifyJwt(grant["credential"]["token"].get<std::string>(), *jwks, options,
                                  kNow + seconds(1));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->alg, jose::Algorithm::kEs256);
  EXPECT_EQ(verified->claims.get()["sub"], "sales/analytics");
  EXPECT_EQ(verified->claims.get()["pod"], "sales-1");
  EXPECT_EQ(verified->claims.get()["exp"], toUnixSeconds(kNow) + 600);

  // The event records the provider's outcome, not the token.
  ASSERT_TRUE(hub_->accessEvents().flush().ok()) << "events are written in batches";
  auto [eventStatus, event] =
      get("/v1/events/" + decision["contextId"].get<std::string>(), auditor_);
  ASSERT_EQ(eventStatus, 200);
  EXPECT_EQ(event["credential"]["provider"], "api");
  EXPECT_EQ(event["credential"]["type"], "oidc-id-token");
  EXPECT_EQ(event["credential"]["outcome"], "issued");
  EXPECT_EQ(event["credential"]["expiresAt"], grant["expiresAt"]);
  EXPECT_EQ(event.dump().find(grant["credential"]["token"].get<std::string>()), std::string::npos);
  EXPECT_FALSE(event.contains("grant"));
}

TEST_F(Grants, OneIssuePerIdentityAndExplainIssuesNone) {
  target("api", "api.internal.example", {{"type", "oidc-id-token"}, {"audience", "api"}});
  auto [s0, explained] =
      post("/v1/access/explain", auditor_, request(podToken(), "api.internal.example"));
  ASSERT_EQ(explained["outcome"], "authorized") << explained.dump(2);
  EXPECT_FALSE(explained.contains("grant"));
  EXPECT_EQ(explained["credentialProvider"], "api");
  const auto& last = explained["trace"].back();
  EXPECT_EQ(last["stage"], "credentialProvider");
  EXPECT_NE(last["detail"].get<std::string>().find("would issue a oidc-id-token credential"),
            std::string::npos);
  EXPECT_EQ(hub_->accessService().grantCacheStats().issues, 0u) << "explain has no side effects";

  auto [s1, first] = post("/v1/access", edge_, request(podToken(), "api.internal.example"));
  auto [s2, again] = post("/v1/access", edge_, request(podToken(), "api.internal.example"));
  ASSERT_TRUE(first.contains("grant") && again.contains("grant")) << again.dump(2);
  EXPECT_EQ(first["grant"]["credential"]["token"], again["grant"]["credential"]["token"]);
  EXPECT_NE(first["grant"]["contextId"], again["grant"]["contextId"]);
  // Another pod of the same namespace is another verified identity (k8s.podName differs).
  auto [s3, other] =
      post("/v1/access", edge_, request(podToken("sales", "sales-2"), "api.internal.example"));
  ASSERT_TRUE(other.contains("grant"));
  EXPECT_NE(other["grant"]["credential"]["token"], first["grant"]["credential"]["token"]);
  EXPECT_EQ(hub_->accessService().grantCacheStats().issues, 2u);
  const auto metrics = client_->requestBlocking(net::ClientRequest::get(base_ + "/metrics"));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("tessera_grant_cache_requests_total{result=\"issued\"} 2"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("tessera_grant_cache_requests_total{result=\"cached\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("tessera_grant_cache_entries 2"), std::string::npos);

  // Past the refresh point (80% of 900 s) the grant is issued anew.
  clock_.advance(seconds(721));
  auto [s4, refreshed] = post("/v1/access", edge_, request(podToken(), "api.internal.example"));
  ASSERT_TRUE(refreshed.contains("grant")) << refreshed.dump(2);
  EXPECT_NE(refreshed["grant"]["credential"]["token"], first["grant"]["credential"]["token"]);
}

TEST_F(Grants, ConcurrentFirstRequestsOverHttpMakeOneIssue) {
  target("api", "api.internal.example", {{"type", "oidc-id-token"}, {"audience", "api"}});
  const json body = request(podToken(), "api.internal.example");
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  std::mutex mutex;
  std::set<std::string> tokens;
  int authorized = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto client = *net::HttpClient::create();
      for (int i = 0; i < kPerThread; ++i) {
        auto r = net::ClientRequest::post(base_ + "/v1/access", body.dump(), "application/json");
        r.withHeader("Authorization", "Bearer " + edge_);
        auto response = client->requestBlocking(r);
        if (!response) {
          continue;
        }
        auto decision = json::parse(response->body, nullptr, false);
        std::lock_guard lock(mutex);
        if (decision.value("outcome", "") == "authorized" && decision.contains("grant")) {
          ++authorized;
          tokens.insert(decision["grant"]["credential"]["token"].get<std::string>());
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(authorized, kThreads * kPerThread);
  EXPECT_EQ(tokens.size(), 1u);
  const auto stats = hub_->accessService().grantCacheStats();
  EXPECT_EQ(stats.issues, 1u);
  EXPECT_EQ(stats.hits + stats.shared, static_cast<std::uint64_t>(kThreads * kPerThread - 1));
}

TEST_F(Grants, AProviderFailureIsAnErrorDecisionWithItsReason) {
  target("api", "api.internal.example",
         {{"type", "oidc-id-token"}, {"audience", "api"}, {"subject", "${github.repository}"}});
  auto [status, decision] = post("/v1/access", edge_, request(podToken(), "api.internal.example"));
  ASSERT_EQ(status, 200);
  EXPECT_EQ(decision["outcome"], "error");
  EXPECT_EQ(decision["reasonCode"], "ProviderError");
  EXPECT_NE(decision["reason"].get<std::string>().find("github.repository"), std::string::npos)
      << decision["reason"];
  EXPECT_FALSE(decision.contains("grant"));
  ASSERT_TRUE(hub_->accessEvents().flush().ok());
  auto [s, event] = get("/v1/events/" + decision["contextId"].get<std::string>(), auditor_);
  EXPECT_EQ(event["outcome"], "error");
  EXPECT_EQ(event["credential"]["outcome"], "failed");
  EXPECT_NE(event["credential"]["reason"].get<std::string>().find("github.repository"),
            std::string::npos);

  // An upstream that cannot be reached fails closed the same way, with the provider's reason.
  target("s3", "s3.amazonaws.com",
         {{"type", "aws-sts"},
          {"roleArn", "arn:aws:iam::123456789012:role/reader"},
          {"endpoint", "http://127.0.0.1:1/"}},
         {{"method", "aws-sigv4"}});
  auto [s2, failed] = post("/v1/access", edge_, request(podToken(), "s3.amazonaws.com"));
  EXPECT_EQ(failed["outcome"], "error") << failed.dump();
  EXPECT_EQ(failed["reasonCode"], "ProviderError");
  EXPECT_NE(failed["reason"].get<std::string>().find("AssumeRoleWithWebIdentity"),
            std::string::npos)
      << failed["reason"];
  EXPECT_FALSE(failed.contains("grant"));
}

// The secret planted in a static-secret provider: nowhere but in the grant of an authorized
// answer (logs at trace level, events in the store and the JSON lines file, admin API answers,
// audit, errors, the store's rows).
TEST_F(Grants, AStaticSecretAppearsOnlyInAnAuthorizedGrant) {
  std::ostringstream logs;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs);
  auto logger = spdlog::default_logger();
  const auto level = logger->level();
  logger->sinks().push_back(sink);
  logger->set_level(spdlog::level::trace);
  sink->set_level(spdlog::level::trace);
  hub_.reset();  // from start-up on, logging at trace level
  start();

  const std::string secret = "planted-" + crypto::randomToken(24);
  target("payments", "payments.example.com",
         {{"type", "static-secret"}, {"secretType", "api-key"}, {"value", secret}},
         {{"method", "header"}, {"header", "X-Api-Key"}});
  std::string seen;  // every answer that is not the authorized grant
  // An update that is refused echoes nothing of the secret either.
  call("POST", "/v1/apply", admin_,
       {{"objects", json::array({object("CredentialProvider", "payments",
                                        {{"type", "static-secret"},
                                         {"secretType", "username-password"},
                                         {"value", secret}})})}},
       &seen);
  call("GET", "/v1/credentialProviders/payments", admin_, nullptr, &seen);
  call("GET", "/v1/credentialProviders", admin_, nullptr, &seen);
  call("GET", "/v1/export", admin_, nullptr, &seen);

  std::string granted;
  auto [status, decision] =
      call("POST", "/v1/access", edge_, request(podToken(), "payments.example.com"), &granted);
  ASSERT_EQ(decision["outcome"], "authorized") << decision.dump(2);
  EXPECT_EQ(decision["grant"]["credential"]["apiKey"], secret);
  EXPECT_EQ(decision["grant"]["injection"]["header"], "X-Api-Key");
  json withoutGrant = decision;
  withoutGrant.erase("grant");
  seen += withoutGrant.dump();
  // Denied (another namespace), and explained.
  call("POST", "/v1/access", edge_, request(podToken("billing"), "payments.example.com"), &seen);
  call("POST", "/v1/access/explain", auditor_, request(podToken(), "payments.example.com"), &seen);
  ASSERT_TRUE(hub_->accessEvents().flush(std::chrono::milliseconds(10000)).ok());
  call("GET", "/v1/events?limit=100", auditor_, nullptr, &seen);
  call("GET", "/v1/audit", admin_, nullptr, &seen);
  hub_.reset();  // flushes the events file, the store's WAL and the logs

  logger->sinks().pop_back();
  logger->set_level(level);
  EXPECT_NE(seen.find("payments"), std::string::npos) << "the answers were captured";
  EXPECT_EQ(seen.find(secret), std::string::npos) << "an API answer holds the secret";
  EXPECT_FALSE(logs.str().empty());
  EXPECT_EQ(logs.str().find(secret), std::string::npos) << "a log line holds the secret";
  const std::string events = readFile(dir_ / "events.jsonl");
  EXPECT_NE(events.find("payments"), std::string::npos);
  EXPECT_EQ(events.find(secret), std::string::npos) << "the events file holds the secret";
  std::string store;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().filename().string().starts_with("hub.db")) {
      store += readFile(entry.path());
    }
  }
  EXPECT_NE(store.find("payments"), std::string::npos);
  EXPECT_EQ(store.find(secret), std::string::npos) << "the store holds the secret in the clear";
}

TEST_F(Grants, SecretsAreSealedInTheStoreKeptAcrossUpdatesAndReplaced) {
  target("db", "payments.example.com",
         {{"type", "static-secret"},
          {"secretType", "username-password"},
          {"username", "app"},
          {"password", "first-password"}});
  auto stored = [&]() {
    auto s = openConfiguredStore(config_);
    EXPECT_TRUE(s.ok());
    auto state = s->config->load();
    for (const auto& r : state->records) {
      if (r.kind == "CredentialProvider" && r.name == "db") {
        return json::parse(r.document);
      }
    }
    return json();
  };
  auto row = stored();
  EXPECT_EQ(row["spec"]["username"], "app");
  EXPECT_TRUE(row["spec"]["password"].is_object()) << row.dump();
  EXPECT_TRUE(row["spec"]["password"]["sealed"].get<std::string>().starts_with("tsl1."));
  EXPECT_EQ(row.dump().find("first-password"), std::string::npos);

  auto password = [&]() {
    auto [s, d] = post("/v1/access", edge_, request(podToken(), "payments.example.com"));
    return d["grant"]["credential"].value("password", "<none: " + d.dump() + ">");
  };
  EXPECT_EQ(password(), "first-password");
  // An apply without the write-only field keeps it (and changes nothing).
  auto [s1, kept] = post("/v1/apply", admin_,
                         {{"objects", json::array({object("CredentialProvider", "db",
                                                          {{"type", "static-secret"},
                                                           {"secretType", "username-password"},
                                                           {"username", "app"}})})}});
  ASSERT_EQ(s1, 200) << kept.dump();
  EXPECT_EQ(password(), "first-password");
  // A new value replaces it, sealed again; the provider's new version is a new cache key.
  auto [s2, replaced] =
      post("/v1/apply", admin_,
           {{"objects", json::array({object("CredentialProvider", "db",
                                            {{"type", "static-secret"},
                                             {"secretType", "username-password"},
                                             {"username", "app"},
                                             {"password", "second-password"}})})}});
  ASSERT_EQ(s2, 200) << replaced.dump();
  EXPECT_EQ(password(), "second-password");
  row = stored();
  EXPECT_EQ(row.dump().find("second-password"), std::string::npos);

  // A restarted hub unseals the store's rows.
  hub_.reset();
  start();
  EXPECT_EQ(password(), "second-password");
}

TEST_F(Grants, PlaintextSecretsStoredBeforeSealingStillLoad) {
  target("legacy", "payments.example.com",
         {{"type", "static-secret"}, {"secretType", "bearer-token"}, {"value", "sealed-now"}});
  hub_.reset();
  {
    // Rewrite the row as an older hub stored it: the secret in the clear.
    auto s = openConfiguredStore(config_);
    ASSERT_TRUE(s.ok());
    auto state = s->config->load();
    ASSERT_TRUE(state.ok());
    store::ConfigCommit commit;
    commit.expectedRevision = state->revision;
    for (const auto& r : state->records) {
      if (r.kind == "CredentialProvider" && r.name == "legacy") {
        auto document = json::parse(r.document);
        document["spec"]["value"] = "written-in-the-clear";
        store::ConfigChange change;
        change.op = store::ConfigChange::Op::kUpdate;
        change.record = r;
        change.record.document = document.dump();
        change.record.version = r.version + 1;
        commit.changes.push_back(change);
      }
    }
    ASSERT_EQ(commit.changes.size(), 1u);
    ASSERT_TRUE(s->config->commit(commit).ok());
  }
  start();
  auto [status, decision] = post("/v1/access", edge_, request(podToken(), "payments.example.com"));
  EXPECT_EQ(decision["grant"]["credential"]["token"], "written-in-the-clear") << decision.dump(2);
}

}  // namespace
}  // namespace tessera::hub
