// The access API end to end over HTTP on a hub with a manual clock: the scenario from our users
// (a sales-analytics pod may reach Bedrock only from California, Monday to Friday 08:00-18:00
// America/Los_Angeles) authorized inside its bounds, and each way to fail with its own reason
// code, in the decision and in explain.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "jose/jwt.hpp"
#include "net/http_client.hpp"
#include "scratch_dir.hpp"
#include "test_hub.hpp"

namespace tessera::hub {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Monday 2026-11-30 10:00 in Los Angeles (PST, UTC-8).
const SystemTime kMondayMorning = SystemTime(seconds(1'796'061'600));
const std::string kIssuer = "https://oidc.eks.us-west-2.amazonaws.com/id/SALES";
const std::string kCalifornia = "214.78.120.1";  // US-CA in the GeoIP test database
const std::string kLondon = "2.125.160.216";     // GB in the GeoIP test database

json object(const std::string& kind, const std::string& name, json spec) {
  return {{"apiVersion", "tessera.dev/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

class AccessApi : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = testing::testHubConfig("access", "sqlite", dir_);
    config.events.file = dir_ / "events.jsonl";
    config.access.geoipDatabase =
        std::filesystem::path(TESSERA_SHARED_DIR) / "testdata/geoip/GeoIP2-City-Test.mmdb";
    hub_ = testing::startTestHub(config, clock_);
    base_ = "http://127.0.0.1:" + std::to_string(hub_->port());
    admin_ = hub_->adminTokens().create(AdminRole::kAdmin, "test")->token;
    edge_ = hub_->adminTokens().create(AdminRole::kEdge, "edge")->token;
    auditor_ = hub_->adminTokens().create(AdminRole::kAuditor, "auditor")->token;

    json jwks = {{"keys", {key_.toPublicJson()}}};
    json objects = json::array(
        {object("TrustProvider", "sales-cluster",
                {{"type", "kubernetes"},
                 {"issuer", kIssuer},
                 {"audiences", {"tessera"}},
                 {"jwks", jwks.dump()},
                 {"rules", {{{"attribute", "namespace"}, {"equals", "sales"}}}}}),
         object("ClientWorkload", "sales-analytics",
                {{"match", {{"attribute", "k8s.podName"}, {"glob", "sales-analytics-*"}}}}),
         object("ServerWorkload", "bedrock",
                {{"host", "bedrock-runtime.us-east-1.amazonaws.com"},
                 {"port", 443},
                 {"protocol", "http"},
                 {"authentication", {{"method", "aws-sigv4"}}}}),
         object("AccessCondition", "california", {{"type", "geoip"}, {"subdivisions", {"US-CA"}}}),
         object("AccessCondition", "business-hours",
                {{"type", "time"},
                 {"timeZone", "America/Los_Angeles"},
                 {"schedule",
                  {{{"days", {"mon", "tue", "wed", "thu", "fri"}},
                    {"start", "08:00"},
                    {"end", "18:00"}}}}}),
         // A hub-signed token: this test stays off the network (aws-sts is exercised end to end in
         // tests/interop/aws_sts_grant.py).
         object("CredentialProvider", "bedrock-role",
                {{"type", "oidc-id-token"}, {"audience", "sts.amazonaws.com"}}),
         object("AccessPolicy", "sales-analytics-to-bedrock",
                {{"clientWorkloads", {"sales-analytics"}},
                 {"trustProviders", {{"match", "any"}, {"names", {"sales-cluster"}}}},
                 {"accessConditions", {"california", "business-hours"}},
                 {"credentialProvider", "bedrock-role"},
                 {"serverWorkload", "bedrock"}})});
    auto applied = post("/v1/apply", admin_, {{"objects", objects}});
    ASSERT_EQ(applied.first, 200) << applied.second.dump();
  }

  void TearDown() override { hub_.reset(); }

  std::pair<int, json> get(const std::string& path, const std::string& token) {
    auto request = net::ClientRequest::get(base_ + path);
    request.withHeader("Authorization", "Bearer " + token);
    auto response = client_->requestBlocking(request);
    EXPECT_TRUE(response.ok()) << response.error().describe();
    if (!response) {
      return {0, json()};
    }
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  std::pair<int, json> post(const std::string& path, const std::string& token, const json& body) {
    auto request = net::ClientRequest::post(base_ + path, body.dump(), "application/json");
    request.withHeader("Authorization", "Bearer " + token);
    auto response = client_->requestBlocking(request);
    EXPECT_TRUE(response.ok()) << response.error().describe();
    if (!response) {
      return {0, json()};
    }
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  std::string podToken(const std::string& pod, const jose::Jwk& key,
                       SystemTime issued = kMondayMorning, seconds lifetime = seconds(3600)) {
    const auto iat = toUnixSeconds(issued);
    json claims = {{"iss", kIssuer},
                   {"aud", {"tessera"}},
                   {"sub", "system:serviceaccount:sales:analytics"},
                   {"iat", iat},
                   {"nbf", iat},
                   {"exp", iat + lifetime.count()},
                   {"kubernetes.io",
                    {{"namespace", "sales"},
                     {"serviceaccount", {{"name", "analytics"}, {"uid", "9f1c6a52-sa"}}},
                     {"pod", {{"name", pod}, {"uid", "3b2e11aa-pod"}}},
                     {"node", {{"name", "ip-10-0-1-7"}, {"uid", "node-uid"}}}}}};
    return *jose::signJwt(key, jose::Algorithm::kRs256, claims);
  }

  json request(const std::string& token, const std::string& sourceIp,
               const std::string& host = "bedrock-runtime.us-east-1.amazonaws.com") {
    json evidence = json::object();
    if (!token.empty()) {
      evidence["tokens"] = {token};
    }
    return {{"evidence", evidence},
            {"target", {{"host", host}, {"port", 443}, {"protocol", "http"}}},
            {"context", {{"sourceIp", sourceIp}, {"hostname", "sales-analytics-7d9f"}}}};
  }

  // The decision from /v1/access, and the same request explained.
  std::pair<json, json> decide(const json& body) {
    auto decided = post("/v1/access", edge_, body);
    EXPECT_EQ(decided.first, 200) << decided.second.dump();
    auto explained = post("/v1/access/explain", auditor_, body);
    EXPECT_EQ(explained.first, 200) << explained.second.dump();
    EXPECT_EQ(decided.second.value("outcome", ""), explained.second.value("outcome", ""));
    EXPECT_EQ(decided.second.value("reasonCode", ""), explained.second.value("reasonCode", ""));
    EXPECT_FALSE(decided.second.contains("trace")) << "the edge gets the decision, not the trace";
    EXPECT_TRUE(explained.second.contains("trace"));
    return {decided.second, explained.second};
  }

  static const json* failedStep(const json& explained, const std::string& stage) {
    for (const auto& step : explained["trace"]) {
      if (step["stage"] == stage && !step["passed"].get<bool>()) {
        return &step;
      }
    }
    return nullptr;
  }

  ManualClock clock_{kMondayMorning};
  jose::Jwk key_ =
      *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "sales-1"});
  testing::ScratchDir scratch_{"access"};
  const std::filesystem::path dir_ = scratch_.path();
  std::unique_ptr<Hub> hub_;
  std::string base_, admin_, edge_, auditor_;
  std::shared_ptr<net::HttpClient> client_ = *net::HttpClient::create();
};

TEST_F(AccessApi, AuthorizedInsideItsBounds) {
  auto [decision, explained] = decide(request(podToken("sales-analytics-7d9f", key_), kCalifornia));
  EXPECT_EQ(decision["outcome"], "authorized") << explained.dump(2);
  EXPECT_EQ(decision["reasonCode"], "Authorized");
  EXPECT_EQ(decision["serverWorkload"], "bedrock");
  EXPECT_EQ(decision["policy"], "sales-analytics-to-bedrock");
  EXPECT_EQ(decision["clientWorkload"], "sales-analytics");
  EXPECT_EQ(decision["credentialProvider"], "bedrock-role");
  ASSERT_EQ(decision["identities"].size(), 1u);
  EXPECT_EQ(decision["identities"][0]["attributes"]["k8s.podName"], "sales-analytics-7d9f");
  EXPECT_FALSE(decision.value("contextId", "").empty());
  // The trace walks every stage, and the conditions say why they passed.
  std::vector<std::string> stages;
  for (const auto& step : explained["trace"]) {
    EXPECT_TRUE(step["passed"].get<bool>()) << step.dump();
    stages.push_back(step["stage"]);
  }
  EXPECT_EQ(stages,
            (std::vector<std::string>{"serverWorkload", "policy", "trustProvider", "clientWorkload",
                                      "accessCondition", "accessCondition", "credentialProvider"}));
  EXPECT_NE(explained.dump().find("US-CA"), std::string::npos);
  EXPECT_EQ(explained.dump().find(podToken("sales-analytics-7d9f", key_)), std::string::npos)
      << "no token in the answer";
}

TEST(ContextId, IsOrderedByTimeAndUnique) {
  const auto t = fromUnixSeconds(1'796'061'600);
  const auto a = contextIdAt(t);
  const auto b = contextIdAt(t);
  const auto later = contextIdAt(t + std::chrono::microseconds(1));
  EXPECT_EQ(a.size(), 30u);
  EXPECT_EQ(a.substr(0, 14), "0661822da9a800") << "1796061600000000 microseconds in hex";
  EXPECT_NE(a, b) << "96 random bits after the time";
  EXPECT_LT(std::max(a, b), later);
  EXPECT_EQ(later.substr(0, 14), "0661822da9a801");
  EXPECT_EQ(contextIdAt(fromUnixSeconds(0)).substr(0, 14), "00000000000000");
  EXPECT_EQ(contextIdAt(fromUnixSeconds(0) + std::chrono::microseconds(0x1f)).substr(0, 14),
            "0000000000001f");
  EXPECT_EQ(
      a.find_first_not_of("0123456789abcdefABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"),
      std::string::npos);
}

// Fail closed: a decision that cannot be audited does not authorize, and the answer says why.
TEST_F(AccessApi, AnUnrecordableDecisionFailsClosed) {
  hub_->accessService().setEventRecorder([](const AccessOutcome&) -> Result<void> {
    return fail(ErrorCode::kUnavailable, "access event backlog full");
  });
  auto [status, answer] =
      post("/v1/access", edge_, request(podToken("sales-analytics-7d9f", key_), kCalifornia));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(answer["outcome"], "error") << answer.dump();
  EXPECT_EQ(answer["reasonCode"], "ProviderError");
  EXPECT_NE(answer.value("reason", "").find("could not be recorded: access event backlog full"),
            std::string::npos)
      << answer.dump();
  EXPECT_FALSE(answer.contains("trace"));
  EXPECT_FALSE(answer.contains("actor")) << "audit-only members stay out of the answer";
}

TEST_F(AccessApi, WrongPodIsAMatchRuleFailure) {
  auto [decision, explained] = decide(request(podToken("marketing-5c4b", key_), kCalifornia));
  EXPECT_EQ(decision["outcome"], "unauthorized");
  EXPECT_EQ(decision["reasonCode"], "MatchRuleFailed");
  const auto* step = failedStep(explained, "clientWorkload");
  ASSERT_NE(step, nullptr) << explained.dump(2);
  EXPECT_EQ((*step)["details"]["attribute"], "k8s.podName");
  EXPECT_EQ((*step)["details"]["expected"], "matches 'sales-analytics-*'");
  EXPECT_EQ((*step)["details"]["actual"], "'marketing-5c4b'");
}

TEST_F(AccessApi, BadSignatureIsInvalidSignature) {
  const auto forger =
      *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "sales-1"});
  auto [decision, explained] =
      decide(request(podToken("sales-analytics-7d9f", forger), kCalifornia));
  EXPECT_EQ(decision["outcome"], "unauthorized");
  EXPECT_EQ(decision["reasonCode"], "InvalidSignature") << explained.dump(2);
  ASSERT_NE(failedStep(explained, "trustProvider"), nullptr);
}

TEST_F(AccessApi, ExpiredTokenIsExpired) {
  const std::string token =
      podToken("sales-analytics-7d9f", key_, kMondayMorning - hours(2), seconds(3600));
  auto [decision, explained] = decide(request(token, kCalifornia));
  EXPECT_EQ(decision["reasonCode"], "Expired") << explained.dump(2);
}

TEST_F(AccessApi, OutsideCaliforniaIsAConditionFailure) {
  auto [decision, explained] = decide(request(podToken("sales-analytics-7d9f", key_), kLondon));
  EXPECT_EQ(decision["outcome"], "unauthorized");
  EXPECT_EQ(decision["reasonCode"], "ConditionFailed");
  const auto* step = failedStep(explained, "accessCondition");
  ASSERT_NE(step, nullptr) << explained.dump(2);
  EXPECT_EQ((*step)["details"]["condition"], "california");
  EXPECT_NE((*step)["details"]["detail"].get<std::string>().find("GB"), std::string::npos)
      << step->dump();
}

TEST_F(AccessApi, OutsideTheWindowIsAConditionFailure) {
  clock_.set(kMondayMorning + hours(24 * 5));  // Saturday 10:00
  const std::string token = podToken("sales-analytics-7d9f", key_, clock_.now());
  auto [decision, explained] = decide(request(token, kCalifornia));
  EXPECT_EQ(decision["reasonCode"], "ConditionFailed");
  const auto* step = failedStep(explained, "accessCondition");
  ASSERT_NE(step, nullptr) << explained.dump(2);
  EXPECT_EQ((*step)["details"]["condition"], "business-hours");
  EXPECT_NE((*step)["details"]["detail"].get<std::string>().find("Saturday"), std::string::npos)
      << step->dump();

  clock_.set(kMondayMorning + hours(8) + minutes(1));  // Monday 18:01
  auto late = decide(request(podToken("sales-analytics-7d9f", key_, clock_.now()), kCalifornia));
  EXPECT_EQ(late.first["reasonCode"], "ConditionFailed");
}

TEST_F(AccessApi, NoPolicyForThatHost) {
  auto [decision, explained] =
      decide(request(podToken("sales-analytics-7d9f", key_), kCalifornia, "api.openai.com"));
  EXPECT_EQ(decision["outcome"], "unauthorized");
  EXPECT_EQ(decision["reasonCode"], "NoPolicy");
  EXPECT_NE(decision["reason"].get<std::string>().find("api.openai.com:443"), std::string::npos);
}

TEST_F(AccessApi, NoEvidenceIsNoDataFound) {
  auto [decision, explained] = decide(request("", kCalifornia));
  EXPECT_EQ(decision["reasonCode"], "NoDataFound") << explained.dump(2);
}

TEST_F(AccessApi, ARepeatedTokenIsCachedFromItsSecondVerification) {
  const std::string token = podToken("sales-analytics-7d9f", key_);
  const auto before = hub_->accessService().tokenCacheStats();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(post("/v1/access", edge_, request(token, kCalifornia)).second["outcome"],
              "authorized");
  }
  const auto after = hub_->accessService().tokenCacheStats();
  EXPECT_EQ(after.misses - before.misses, 2u);
  EXPECT_EQ(after.hits - before.hits, 2u);
  EXPECT_EQ(after.firstSightings - before.firstSightings, 1u);
  const auto metrics = client_->requestBlocking(net::ClientRequest::get(base_ + "/metrics"));
  ASSERT_TRUE(metrics);
  for (const auto* series :
       {"tessera_token_cache_lookups_total{result=\"hit\"} 2",
        "tessera_token_cache_lookups_total{result=\"miss\"} 2",
        "tessera_token_cache_first_sightings_total 1", "tessera_token_cache_entries 1"}) {
    EXPECT_NE(metrics->body.find(series), std::string::npos) << series << "\n" << metrics->body;
  }
  const auto [decision, explained] = decide(request(token, kCalifornia));
  EXPECT_NE(explained.dump().find("verified earlier (cached until the token expires)"),
            std::string::npos)
      << explained.dump(2);
  // Past the token's expiry the cached identity is gone and the token refused.
  clock_.advance(hours(2));
  EXPECT_EQ(post("/v1/access", edge_, request(token, kCalifornia)).second["reasonCode"], "Expired");
}

TEST_F(AccessApi, EveryDecisionIsAnEventWithItsReasonAndNoToken) {
  const std::string good = podToken("sales-analytics-7d9f", key_);
  const std::string wrongPod = podToken("marketing-5c4b", key_);
  // The clock is manual: a second between decisions orders their events.
  const auto authorized = post("/v1/access", edge_, request(good, kCalifornia)).second;
  clock_.advance(seconds(1));
  const auto refused = post("/v1/access", edge_, request(wrongPod, kCalifornia)).second;
  clock_.advance(seconds(1));
  const auto london = post("/v1/access", edge_, request(good, kLondon)).second;
  post("/v1/access/explain", auditor_, request(good, kCalifornia));  // no event
  ASSERT_TRUE(hub_->accessEvents().flush().ok());

  auto [status, page] = get("/v1/events", auditor_);
  ASSERT_EQ(status, 200) << page.dump();
  ASSERT_EQ(page["items"].size(), 3u) << "explain records nothing";
  EXPECT_EQ(page["items"][0]["contextId"], london["contextId"]) << "newest first";
  for (const auto& event : page["items"]) {
    EXPECT_EQ(event["actor"].get<std::string>().rfind("token:", 0), 0u);
    EXPECT_EQ(event["target"]["host"], "bedrock-runtime.us-east-1.amazonaws.com");
    EXPECT_EQ(event["context"]["sourceIp"].is_string(), true);
    EXPECT_FALSE(event["trace"].empty());
    const std::string text = event.dump();
    EXPECT_EQ(text.find(good), std::string::npos);
    EXPECT_EQ(text.find(wrongPod), std::string::npos);
    EXPECT_EQ(text.find(good.substr(good.rfind('.') + 1)), std::string::npos) << "no signature";
  }

  auto byId = get("/v1/events/" + refused["contextId"].get<std::string>(), auditor_);
  ASSERT_EQ(byId.first, 200);
  EXPECT_EQ(byId.second["reasonCode"], "MatchRuleFailed");
  auto onlyAuthorized = get("/v1/events?outcome=authorized", auditor_).second;
  ASSERT_EQ(onlyAuthorized["items"].size(), 1u);
  EXPECT_EQ(onlyAuthorized["items"][0]["contextId"], authorized["contextId"]);
  EXPECT_EQ(onlyAuthorized["items"][0]["policy"], "sales-analytics-to-bedrock");
  EXPECT_EQ(get("/v1/events?policy=sales-analytics-to-bedrock", auditor_).second["items"].size(),
            1u);
  EXPECT_EQ(get("/v1/events?serverWorkload=bedrock&limit=2", auditor_).second["items"].size(), 2u);
  EXPECT_EQ(get("/v1/events?until=2000-01-01T00:00:00Z", auditor_).second["items"].size(), 0u);
  EXPECT_EQ(get("/v1/events?outcome=maybe", auditor_).first, 400);
  EXPECT_EQ(get("/v1/events", edge_).first, 403);

  // The same events stream as JSON lines.
  std::ifstream lines(dir_ / "events.jsonl");
  std::vector<std::string> ids;
  for (std::string line; std::getline(lines, line);) {
    const auto event = json::parse(line);
    ids.push_back(event["contextId"]);
    EXPECT_EQ(line.find(good), std::string::npos);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{authorized["contextId"], refused["contextId"],
                                           london["contextId"]}));
}

TEST_F(AccessApi, BadRequestsNameTheirFields) {
  auto [status, body] = post("/v1/access", edge_,
                             {{"target", {{"host", ""}, {"port", 70000}}},
                              {"context", {{"sourceIp", "not-an-ip"}}},
                              {"evidence", {{"tokens", "x"}}}});
  EXPECT_EQ(status, 400);
  std::set<std::string> pointers;
  for (const auto& d : body["details"]) {
    pointers.insert(d["pointer"]);
  }
  for (const char* p : {"/target/host", "/target/port", "/target/protocol", "/context/sourceIp",
                        "/evidence/tokens"}) {
    EXPECT_TRUE(pointers.contains(p)) << p << " in " << body.dump();
  }
}

}  // namespace
}  // namespace tessera::hub
