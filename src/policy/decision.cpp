#include "policy/decision.hpp"

namespace tessera::policy {

namespace {
std::string names(const nlohmann::json& list) {
  std::string out;
  for (const auto& n : list) {
    out += (out.empty() ? "" : ", ") + n.get<std::string>();
  }
  return out;
}

bool isInfrastructureFailure(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kTimeout ||
         code == ErrorCode::kHttpConnect || code == ErrorCode::kHttpTls ||
         code == ErrorCode::kHttpUpstream || code == ErrorCode::kHttpResponseTooLarge ||
         code == ErrorCode::kInternal;
}
}  // namespace

std::string_view outcomeName(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::kAuthorized:
      return "authorized";
    case Outcome::kUnauthorized:
      return "unauthorized";
    case Outcome::kError:
      return "error";
  }
  return "error";
}

Result<std::shared_ptr<const CompiledConfig>> CompiledConfig::compile(
    std::shared_ptr<const model::ConfigSnapshot> snapshot) {
  std::shared_ptr<CompiledConfig> config(new CompiledConfig(std::move(snapshot)));
  for (const auto* cw : config->snapshot_->list(model::Kind::kClientWorkload)) {
    auto matcher = ClientMatcher::compile(cw->spec.value("match", nlohmann::json()));
    if (!matcher) {
      return fail(ErrorCode::kInvalidArgument,
                  "ClientWorkload/" + cw->metadata.name + ": " + matcher.error().message);
    }
    config->clientMatchers_.emplace(cw->metadata.name, std::move(*matcher));
  }
  for (const auto* p : config->snapshot_->list(model::Kind::kAccessPolicy)) {
    if (!p->spec.value("enabled", true)) {
      continue;
    }
    config->policiesByServer_[p->spec.value("serverWorkload", "")].push_back(p);
  }
  return std::shared_ptr<const CompiledConfig>(std::move(config));
}

Decision CompiledConfig::decide(const Target& target, const trust::Attributes& context,
                                DecisionServices& services) const {
  Decision d;
  const std::string where =
      target.host + ":" + std::to_string(target.port) + " (" + target.protocol + ")";
  const auto* server = index_.match(target);
  if (server == nullptr) {
    d.reason = "no server workload matches " + where;
    d.trace.push_back(Step{"serverWorkload", "", false, d.reason});
    return d;
  }
  d.serverWorkload = server->metadata.name;
  d.trace.push_back(Step{"serverWorkload", d.serverWorkload, true,
                         where + " matches host " + server->spec.value("host", "") + " port " +
                             std::to_string(server->spec.value("port", 0))});
  const auto candidates = policiesByServer_.find(d.serverWorkload);
  if (candidates == policiesByServer_.end()) {
    d.reason = "no enabled access policy grants access to server workload " + d.serverWorkload;
    d.trace.push_back(Step{"policy", "", false, d.reason});
    return d;
  }

  std::vector<std::string> refusals;
  bool infrastructureFailed = false;
  for (const auto* policy : candidates->second) {
    const auto& spec = policy->spec;
    const std::string policyName = policy->metadata.name;
    d.trace.push_back(Step{"policy", policyName, true, "candidate for " + d.serverWorkload});

    // Trust providers: which of them verify this workload's evidence.
    const auto& tp = spec.at("trustProviders");
    const bool needAll = tp.value("match", "all") == "all";
    std::vector<trust::VerifiedIdentity> identities;
    std::string trustFailure;
    for (const auto& nameJson : tp.at("names")) {
      const std::string name = nameJson.get<std::string>();
      auto identity = services.verify(name);
      if (identity) {
        d.trace.push_back(Step{"trustProvider", name, true,
                               "verified " + identity->subject +
                                   (identity->trace.empty() ? "" : "; " + identity->trace.back())});
        identities.push_back(std::move(*identity));
        if (!needAll) {
          break;
        }
        continue;
      }
      infrastructureFailed |= isInfrastructureFailure(identity.error().code);
      d.trace.push_back(Step{"trustProvider", name, false, identity.error().describe()});
      trustFailure = identity.error().message;
      if (needAll) {
        break;
      }
    }
    const bool trusted = needAll ? trustFailure.empty() : !identities.empty();
    if (!trusted) {
      refusals.push_back("policy " + policyName + ": " +
                         (needAll ? "trust providers (all of " + names(tp.at("names")) +
                                        ") not satisfied: " + trustFailure
                                  : "no trust provider (any of " + names(tp.at("names")) +
                                        ") verified the workload: " + trustFailure));
      continue;
    }

    // Client workload: verified attributes of this policy's providers, plus context.
    trust::Attributes attributes = context;
    for (const auto& id : identities) {
      for (const auto& [k, v] : id.attributes) {
        attributes.insert_or_assign(k, v);
      }
    }
    std::string identified;
    for (const auto& cwName : spec.at("clientWorkloads")) {
      const std::string name = cwName.get<std::string>();
      const auto matcher = clientMatchers_.find(name);
      if (matcher == clientMatchers_.end()) {
        continue;
      }
      const auto outcome = matcher->second.evaluate(attributes);
      std::string detail;
      for (const auto& line : outcome.trace) {
        detail += (detail.empty() ? "" : "; ") + line;
      }
      d.trace.push_back(Step{"clientWorkload", name, outcome.matched, detail});
      if (outcome.matched) {
        identified = name;
        break;
      }
    }
    if (identified.empty()) {
      refusals.push_back("policy " + policyName +
                         ": the workload is none of its client workloads (" +
                         names(spec.at("clientWorkloads")) + ")");
      continue;
    }

    // Access conditions: all must pass.
    std::string conditionFailure;
    for (const auto& condition : spec.value("accessConditions", nlohmann::json::array())) {
      const std::string name = condition.get<std::string>();
      const auto result = services.evaluate(name);
      d.trace.push_back(Step{"accessCondition", name, result.passed, result.reason});
      if (!result.passed) {
        conditionFailure = "access condition " + name + " failed: " + result.reason;
        break;
      }
    }
    if (!conditionFailure.empty()) {
      refusals.push_back("policy " + policyName + ": " + conditionFailure);
      continue;
    }

    d.outcome = Outcome::kAuthorized;
    d.policy = policyName;
    d.clientWorkload = identified;
    d.credentialProvider = spec.value("credentialProvider", "");
    d.identities = std::move(identities);
    d.reason = "client workload " + identified + " may reach " + d.serverWorkload +
               " through policy " + policyName + " with credential provider " +
               d.credentialProvider;
    return d;
  }
  d.outcome = infrastructureFailed ? Outcome::kError : Outcome::kUnauthorized;
  d.reason.clear();
  for (const auto& r : refusals) {
    d.reason += (d.reason.empty() ? "" : "; ") + r;
  }
  return d;
}

}  // namespace tessera::policy
