// The pure access decision (policy::CompiledConfig::decide) for the access bench's cached case:
// a Kubernetes pod's identity (seven verified attributes) authorized through the second of two
// policies of its server workload (the first refused for its client workload), one access
// condition passing. No I/O: the trust provider and condition answers are given, as the hub
// gives them after verifying. The anchor in the same run is copying the identity the decision
// returns, the least any decision does with it. (Run by hand: build/release/bench/decision_bench.)
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "config_object.hpp"
#include "policy/decision.hpp"

namespace {

using namespace tessera;
using nlohmann::json;

using tessera::testing::configObject;

std::shared_ptr<const policy::CompiledConfig> compiled() {
  std::vector<model::ConfigObject> objects = {
      configObject(model::Kind::kServerWorkload, "api-5",
                   {{"host", "api-5.bench.example.com"},
                    {"port", 443},
                    {"protocol", "http"},
                    {"authentication", {{"method", "bearer"}}}}),
      configObject(model::Kind::kClientWorkload, "bench-pods",
                   {{"match", {{"attribute", "k8s.podName"}, {"glob", "bench-*"}}}}),
      configObject(model::Kind::kClientWorkload, "other-pods",
                   {{"match", {{"attribute", "k8s.namespace"}, {"equals", "other"}}}}),
      configObject(model::Kind::kAccessPolicy, "a-others",
                   {{"clientWorkloads", {"other-pods"}},
                    {"trustProviders", {{"match", "any"}, {"names", {"bench-cluster"}}}},
                    {"credentialProvider", "api-token"},
                    {"serverWorkload", "api-5"}}),
      configObject(model::Kind::kAccessPolicy, "pods-to-api-5",
                   {{"clientWorkloads", {"bench-pods"}},
                    {"trustProviders", {{"match", "any"}, {"names", {"bench-cluster"}}}},
                    {"accessConditions", {"office-network"}},
                    {"credentialProvider", "api-token"},
                    {"serverWorkload", "api-5"}}),
  };
  auto config = policy::CompiledConfig::compile(
      std::make_shared<const model::ConfigSnapshot>(1, std::move(objects)));
  if (!config) {
    throw std::runtime_error(config.error().message);
  }
  return *config;
}

trust::VerifiedIdentity podIdentity() {
  trust::VerifiedIdentity id;
  id.provider = "bench-cluster";
  id.type = "kubernetes";
  id.subject = "system:serviceaccount:bench:worker";
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"k8s.namespace", "bench"},
           {"k8s.nodeName", "ip-10-0-1-7"},
           {"k8s.podName", "bench-7d9f"},
           {"k8s.podUid", "5c3e2a10-pod"},
           {"k8s.serviceAccountName", "worker"},
           {"k8s.serviceAccountUid", "9f1c6a52-sa"},
           {"k8s.sub", "system:serviceaccount:bench:worker"}}) {
    id.attributes[name] = trust::Attribute{value, true, "bench-cluster"};
  }
  id.trace.push_back("rule 1: namespace 'bench' equals 'bench'");
  return id;
}

class GivenAnswers : public policy::DecisionServices {
 public:
  Result<trust::VerifiedIdentity> verify(const std::string&) override { return identity_; }
  ConditionResult evaluate(const std::string&) override {
    return {true, "10.0.1.7 is in 10.0.0.0/8"};
  }

 private:
  trust::VerifiedIdentity identity_ = podIdentity();
};

void BM_Decide(benchmark::State& state) {
  const auto config = compiled();
  policy::Target target{"api-5.bench.example.com", 443, "http"};
  const trust::Attributes context = {
      {"sourceIp", trust::Attribute{"10.0.1.7", false, "context"}},
      {"hostname", trust::Attribute{"bench-7d9f", false, "context"}}};
  GivenAnswers services;
  for (auto _ : state) {
    auto d = config->decide(target, context, services);
    if (d.outcome != policy::Outcome::kAuthorized) {
      throw std::runtime_error("not authorized: " + d.reason);
    }
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_Decide);

// The anchor: copying the identity an authorized decision carries.
void BM_CopyIdentity(benchmark::State& state) {
  const auto identity = podIdentity();
  for (auto _ : state) {
    auto copy = identity;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopyIdentity);

}  // namespace

BENCHMARK_MAIN();
