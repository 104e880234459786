// The decision pipeline on a small configuration: which server workload, which policies, what
// trust providers said, which client workload, which conditions, and the reason in each case.
// Trust provider and condition answers are given by the test (the pipeline's seam); the trust
// providers themselves are tested in tests/unit/trust with real signed tokens.
#include "policy/decision.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "config_object.hpp"

namespace tessera::policy {
namespace {

using nlohmann::json;

using tessera::testing::configObject;

model::ConfigObject policy(const std::string& name, json clientWorkloads, const std::string& match,
                           json trustProviders, json conditions, const std::string& server,
                           bool enabled = true) {
  return configObject(model::Kind::kAccessPolicy, name,
                      {{"clientWorkloads", clientWorkloads},
                       {"trustProviders", {{"match", match}, {"names", trustProviders}}},
                       {"accessConditions", conditions},
                       {"credentialProvider", "cred-" + name},
                       {"serverWorkload", server},
                       {"enabled", enabled}});
}

std::shared_ptr<const model::ConfigSnapshot> snapshot() {
  std::vector<model::ConfigObject> objects = {
      configObject(model::Kind::kServerWorkload, "api",
                   {{"host", "api.example.com"},
                    {"port", 443},
                    {"protocol", "http"},
                    {"authentication", {{"method", "bearer"}}}}),
      configObject(model::Kind::kServerWorkload, "unused",
                   {{"host", "unused.example.com"},
                    {"port", 443},
                    {"protocol", "http"},
                    {"authentication", {{"method", "bearer"}}}}),
      configObject(model::Kind::kClientWorkload, "billing",
                   {{"match", {{"attribute", "k8s.namespace"}, {"equals", "billing"}}}}),
      configObject(model::Kind::kClientWorkload, "ci",
                   {{"match", {{"attribute", "github.repository"}, {"equals", "org/app"}}}}),
      policy("a-billing", {"billing"}, "any", {"k8s"}, {"hours"}, "api"),
      policy("b-ci", {"ci"}, "all", {"github", "k8s"}, json::array(), "api"),
      policy("c-off", {"billing"}, "any", {"k8s"}, json::array(), "api", false),
  };
  return std::make_shared<const model::ConfigSnapshot>(1, std::move(objects));
}

class FakeServices : public DecisionServices {
 public:
  std::map<std::string, Result<trust::VerifiedIdentity>> identities;
  std::map<std::string, ConditionResult> conditions;
  std::map<std::string, int> calls;

  Result<trust::VerifiedIdentity> verify(const std::string& name) override {
    ++calls[name];
    const auto it = identities.find(name);
    if (it == identities.end()) {
      return fail(ErrorCode::kTokenClaimMissing, "no evidence for " + name);
    }
    return it->second;
  }
  ConditionResult evaluate(const std::string& name) override {
    ++calls[name];
    return conditions.at(name);
  }
};

trust::VerifiedIdentity identity(const std::string& provider, const std::string& attribute,
                                 const std::string& value) {
  trust::VerifiedIdentity id;
  id.provider = provider;
  id.subject = provider + "-subject";
  id.attributes[attribute] = trust::Attribute{value, true, provider};
  return id;
}

Target api() {
  Target t;
  t.host = "api.example.com";
  t.port = 443;
  t.protocol = "http";
  return t;
}

class PolicyDecision : public ::testing::Test {
 protected:
  void SetUp() override {
    auto compiled = CompiledConfig::compile(snapshot());
    ASSERT_TRUE(compiled.ok()) << compiled.error().message;
    config_ = *compiled;
  }
  std::shared_ptr<const CompiledConfig> config_;
  FakeServices services_;
};

TEST_F(PolicyDecision, AuthorizesThroughTheFirstPolicyWhoseStepsAllPass) {
  services_.identities.emplace("k8s", identity("k8s", "k8s.namespace", "billing"));
  services_.conditions["hours"] = {true,
                                   "Tuesday 10:00 Europe/Paris is inside mon-fri 08:00-19:00"};
  const auto d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.outcome, Outcome::kAuthorized) << d.reason;
  EXPECT_EQ(d.serverWorkload, "api");
  EXPECT_EQ(d.policy, "a-billing");
  EXPECT_EQ(d.clientWorkload, "billing");
  EXPECT_EQ(d.credentialProvider, "cred-a-billing");
  ASSERT_EQ(d.identities.size(), 1u);
  std::vector<std::string> stages;
  for (const auto& s : d.trace) {
    stages.push_back(s.stage + ":" + s.object + ":" + (s.passed ? "pass" : "fail"));
  }
  EXPECT_EQ(stages,
            (std::vector<std::string>{"serverWorkload:api:pass", "policy:a-billing:pass",
                                      "trustProvider:k8s:pass", "clientWorkload:billing:pass",
                                      "accessCondition:hours:pass"}));
}

TEST_F(PolicyDecision, ExplainsEveryRefusalWhenNoPolicyAuthorizes) {
  services_.identities.emplace("k8s", identity("k8s", "k8s.namespace", "billing"));
  services_.conditions["hours"] = {false,
                                   "Sunday 22:00 Europe/Paris is outside mon-fri 08:00-19:00"};
  const auto d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.outcome, Outcome::kUnauthorized);
  EXPECT_EQ(d.reason,
            "policy a-billing: access condition hours failed: Sunday 22:00 Europe/Paris is outside "
            "mon-fri 08:00-19:00; policy b-ci: trust providers (all of github, k8s) not satisfied: "
            "no evidence for github");
  for (const auto& step : d.trace) {
    EXPECT_NE(step.object, "c-off") << "a disabled policy is never a candidate";
  }
}

TEST_F(PolicyDecision, MatchAllNeedsEveryProviderAndMatchAnyOne) {
  services_.identities.emplace("github", identity("github", "github.repository", "org/app"));
  auto d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.outcome, Outcome::kUnauthorized) << "b-ci needs k8s as well";

  services_.identities.emplace("k8s", identity("k8s", "k8s.namespace", "web"));
  d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.outcome, Outcome::kAuthorized) << d.reason;
  EXPECT_EQ(d.policy, "b-ci");
  EXPECT_EQ(d.identities.size(), 2u);
  EXPECT_NE(d.reason.find("client workload ci may reach api"), std::string::npos);
}

TEST_F(PolicyDecision, UnknownWorkloadsAreNotIdentified) {
  services_.identities.emplace("k8s", identity("k8s", "k8s.namespace", "web"));
  services_.conditions["hours"] = {true, "inside"};
  const auto d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.outcome, Outcome::kUnauthorized);
  EXPECT_NE(
      d.reason.find("policy a-billing: the workload is none of its client workloads (billing)"),
      std::string::npos)
      << d.reason;
  EXPECT_EQ(services_.calls["hours"], 0) << "conditions run only for an identified workload";
}

TEST_F(PolicyDecision, ContextAttributesCountButVerifiedOnesWin) {
  trust::Attributes context;
  context["k8s.namespace"] = trust::Attribute{"billing", false, "context"};
  services_.identities.emplace("k8s", identity("k8s", "k8s.namespace", "web"));
  services_.conditions["hours"] = {true, "inside"};
  const auto d = config_->decide(api(), context, services_);
  EXPECT_EQ(d.outcome, Outcome::kUnauthorized)
      << "an unverified context value never overrides what a trust provider verified";
}

TEST_F(PolicyDecision, NoServerWorkloadOrNoPolicyIsUnauthorizedWithAReason) {
  Target other = api();
  other.host = "other.example.com";
  auto d = config_->decide(other, {}, services_);
  EXPECT_EQ(d.outcome, Outcome::kUnauthorized);
  EXPECT_EQ(d.reason, "no server workload matches other.example.com:443 (http)");
  other.host = "unused.example.com";
  d = config_->decide(other, {}, services_);
  EXPECT_EQ(d.reason, "no enabled access policy grants access to server workload unused");
}

TEST_F(PolicyDecision, KeysThatCannotBeFetchedMakeAnErrorNotADenial) {
  services_.identities.emplace(
      "k8s", Result<trust::VerifiedIdentity>(
                 Error{ErrorCode::kUnavailable, "keys of https://k8s.example.com unreachable"}));
  const auto d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.outcome, Outcome::kError);
  EXPECT_NE(d.reason.find("unreachable"), std::string::npos);
}

TEST_F(PolicyDecision, EveryRefusalCarriesItsReasonCode) {
  Target other = api();
  other.host = "other.example.com";
  EXPECT_EQ(config_->decide(other, {}, services_).reasonCode, "NoPolicy");
  EXPECT_EQ(config_->decide(other, {}, services_).trace.back().reasonCode, "NoPolicy");

  // The first refusing policy decides the code; each step keeps its own.
  services_.identities.emplace("k8s", identity("k8s", "k8s.namespace", "billing"));
  services_.conditions["hours"] = {false, "Sunday 22:00 Europe/Paris is outside mon-fri"};
  auto d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.reasonCode, "ConditionFailed");
  const Step* condition = nullptr;
  const Step* github = nullptr;
  for (const auto& step : d.trace) {
    if (step.stage == "accessCondition") {
      condition = &step;
    }
    if (step.stage == "trustProvider" && step.object == "github") {
      github = &step;
    }
  }
  ASSERT_NE(condition, nullptr);
  EXPECT_EQ(condition->reasonCode, "ConditionFailed");
  EXPECT_EQ(condition->details["condition"], "hours");
  EXPECT_EQ(condition->details["detail"], "Sunday 22:00 Europe/Paris is outside mon-fri");
  ASSERT_NE(github, nullptr);
  EXPECT_EQ(github->reasonCode, "ClaimRejected");  // kTokenClaimMissing from the fake

  // A client workload that does not match names the attribute, what was expected and found.
  services_.identities.clear();
  services_.identities.emplace("k8s", identity("k8s", "k8s.namespace", "web"));
  d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.reasonCode, "MatchRuleFailed");
  const Step* client = nullptr;
  for (const auto& step : d.trace) {
    if (step.stage == "clientWorkload" && !step.passed) {
      client = &step;
      break;
    }
  }
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->details["attribute"], "k8s.namespace");
  EXPECT_EQ(client->details["actual"], "'web'");

  // A trust rule's failure is carried through from the provider's error fields.
  Error rule{ErrorCode::kTrustRuleFailed, "rule 1: namespace 'web', required: equals 'billing'"};
  rule.fields = {
      {"/attribute", "namespace"}, {"/expected", "equals 'billing'"}, {"/actual", "'web'"}};
  services_.identities.clear();
  services_.identities.emplace("k8s", Result<trust::VerifiedIdentity>(rule));
  d = config_->decide(api(), {}, services_);
  EXPECT_EQ(d.reasonCode, "MatchRuleFailed");
  EXPECT_EQ(d.trace[2].details, (nlohmann::json{{"attribute", "namespace"},
                                                {"expected", "equals 'billing'"},
                                                {"actual", "'web'"}}));
}

TEST(ReasonCodes, EveryVerificationErrorHasOne) {
  const std::map<ErrorCode, std::string> expected = {
      {ErrorCode::kEvidenceMissing, "NoDataFound"},
      {ErrorCode::kEvidenceInvalid, "InvalidEvidence"},
      {ErrorCode::kTokenMalformed, "InvalidEvidence"},
      {ErrorCode::kTokenSignatureInvalid, "InvalidSignature"},
      {ErrorCode::kTokenKeyNotFound, "InvalidSignature"},
      {ErrorCode::kTokenAlgNone, "InvalidSignature"},
      {ErrorCode::kTokenExpired, "Expired"},
      {ErrorCode::kTokenNotYetValid, "Expired"},
      {ErrorCode::kTokenIssuerMismatch, "ClaimRejected"},
      {ErrorCode::kTokenAudienceMismatch, "ClaimRejected"},
      {ErrorCode::kTrustRuleFailed, "MatchRuleFailed"},
      {ErrorCode::kUnavailable, "ProviderError"},
      {ErrorCode::kHttpConnect, "ProviderError"},
      {ErrorCode::kTimeout, "ProviderError"},
  };
  for (const auto& [code, reason] : expected) {
    EXPECT_EQ(reasonCodeFor(Error{code, ""}), reason) << errorCodeName(code);
  }
}

// Policies are read once per snapshot: one that does not have the shape validation ensures
// refuses the snapshot, naming it, instead of failing decisions later.
TEST(CompiledConfigTest, APolicyOfTheWrongShapeRefusesTheSnapshot) {
  const auto compile = [](json spec) {
    std::vector<model::ConfigObject> objects = {
        configObject(model::Kind::kAccessPolicy, "broken", std::move(spec))};
    return CompiledConfig::compile(
        std::make_shared<const model::ConfigSnapshot>(1, std::move(objects)));
  };
  const json good = {{"clientWorkloads", {"billing"}},
                     {"trustProviders", {{"match", "any"}, {"names", {"k8s"}}}},
                     {"serverWorkload", "api"}};
  EXPECT_TRUE(compile(good).ok());
  for (const auto& [change, reason] :
       std::vector<std::pair<std::function<void(json&)>, std::string>>{
           {[](json& s) { s.erase("trustProviders"); }, "trustProviders.names is missing"},
           {[](json& s) { s["trustProviders"]["names"] = "k8s"; }, "trustProviders.names must"},
           {[](json& s) { s["clientWorkloads"] = {1}; }, "clientWorkloads must"},
           {[](json& s) {
              s["accessConditions"] = {{"a", 1}};
            },
            "accessConditions must"}}) {
    json spec = good;
    change(spec);
    const auto compiled = compile(spec);
    ASSERT_FALSE(compiled.ok()) << reason;
    EXPECT_EQ(compiled.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(compiled.error().message.find("AccessPolicy/broken: " + reason), std::string::npos)
        << compiled.error().message;
  }
}

}  // namespace
}  // namespace tessera::policy
