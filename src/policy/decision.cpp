#include "policy/decision.hpp"

#include <algorithm>

namespace tessera::policy {

namespace {
using Json = nlohmann::json;
// A policy's list of object names; validation guarantees an array of strings, and anything
// else refuses the snapshot rather than failing a decision later.
Result<std::vector<std::string>> nameList(const Json* list, std::string_view where) {
  std::vector<std::string> out;
  if (list == nullptr) {
    return out;
  }
  if (!list->is_array()) {
    return fail(ErrorCode::kInvalidArgument, std::string(where) + " must be a list of names");
  }
  for (const auto& n : *list) {
    if (!n.is_string()) {
      return fail(ErrorCode::kInvalidArgument, std::string(where) + " must be a list of names");
    }
    out.push_back(n.get<std::string>());
  }
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

const Json* member(const Json& object, std::string_view name) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

bool isInfrastructureFailure(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kTimeout ||
         code == ErrorCode::kHttpConnect || code == ErrorCode::kHttpTls ||
         code == ErrorCode::kHttpUpstream || code == ErrorCode::kHttpResponseTooLarge ||
         code == ErrorCode::kInternal || code == ErrorCode::kJwksInvalid ||
         code == ErrorCode::kStoreFailure;
}

std::string fieldValue(const Error& error, std::string_view pointer) {
  for (const auto& f : error.fields) {
    if (f.pointer == pointer) {
      return f.reason;
    }
  }
  return "";
}
}  // namespace

std::string_view reasonCodeFor(const Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::kEvidenceMissing:
      return reason::kNoDataFound;
    case ErrorCode::kTrustRuleFailed:
      return reason::kMatchRuleFailed;
    case ErrorCode::kTokenSignatureInvalid:
    case ErrorCode::kTokenKeyNotFound:
    case ErrorCode::kTokenAlgNone:
    case ErrorCode::kTokenAlgUnsupported:
    case ErrorCode::kTokenAlgHmacRejected:
    case ErrorCode::kTokenAlgKeyMismatch:
    case ErrorCode::kTokenAlgNotAllowed:
    case ErrorCode::kTokenEmbeddedKeyRejected:
    case ErrorCode::kTokenCritUnsupported:
      return reason::kInvalidSignature;
    case ErrorCode::kTokenExpired:
    case ErrorCode::kTokenNotYetValid:
    case ErrorCode::kTokenIssuedInFuture:
    case ErrorCode::kTokenLifetimeTooLong:
      return reason::kExpired;
    case ErrorCode::kTokenIssuerMismatch:
    case ErrorCode::kTokenAudienceMismatch:
    case ErrorCode::kTokenTypMismatch:
    case ErrorCode::kTokenClaimMissing:
    case ErrorCode::kTokenClaimInvalid:
    case ErrorCode::kPermissionDenied:
      return reason::kClaimRejected;
    case ErrorCode::kTokenTooLarge:
    case ErrorCode::kTokenMalformed:
    case ErrorCode::kTokenSegmentCount:
    case ErrorCode::kTokenHeaderInvalid:
    case ErrorCode::kTokenPayloadInvalid:
    case ErrorCode::kEvidenceInvalid:
    case ErrorCode::kInvalidArgument:
      return reason::kInvalidEvidence;
    default:
      return isInfrastructureFailure(error.code) ? reason::kProviderError
                                                 : reason::kInvalidEvidence;
  }
}

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
  for (const auto* server : config->snapshot_->list(model::Kind::kServerWorkload)) {
    config->servers_[server->metadata.name].matchDescription =
        "host " + server->spec.value("host", "") + " port " +
        std::to_string(server->spec.value("port", 0));
  }
  for (const auto* p : config->snapshot_->list(model::Kind::kAccessPolicy)) {
    const auto& spec = p->spec;
    if (!spec.value("enabled", true)) {
      continue;
    }
    const std::string where = "AccessPolicy/" + p->metadata.name;
    Policy policy;
    policy.name = p->metadata.name;
    const Json* trust = member(spec, "trustProviders");
    const Json* match = trust ? member(*trust, "match") : nullptr;
    policy.needAllTrustProviders =
        match == nullptr || !match->is_string() || match->get_ref<const std::string&>() == "all";
    const Json* trustNames = trust ? member(*trust, "names") : nullptr;
    if (trustNames == nullptr) {
      return fail(ErrorCode::kInvalidArgument, where + ": trustProviders.names is missing");
    }
    TESSERA_ASSIGN_OR_RETURN(policy.trustProviders,
                             nameList(trustNames, where + ": trustProviders.names"));
    TESSERA_ASSIGN_OR_RETURN(policy.clientWorkloads, nameList(member(spec, "clientWorkloads"),
                                                              where + ": clientWorkloads"));
    TESSERA_ASSIGN_OR_RETURN(policy.accessConditions, nameList(member(spec, "accessConditions"),
                                                               where + ": accessConditions"));
    policy.trustProviderList = joined(policy.trustProviders);
    policy.clientWorkloadList = joined(policy.clientWorkloads);
    policy.credentialProvider = spec.value("credentialProvider", "");
    // The snapshot lists objects by name, so each server's policies stay ordered by name.
    config->servers_[spec.value("serverWorkload", "")].policies.push_back(std::move(policy));
  }
  return std::shared_ptr<const CompiledConfig>(std::move(config));
}

std::vector<std::string> CompiledConfig::trustProvidersFor(const Target& target) const {
  std::vector<std::string> out;
  const auto* server = index_.match(target);
  if (server == nullptr) {
    return out;
  }
  const auto found = servers_.find(server->metadata.name);
  if (found == servers_.end()) {
    return out;
  }
  for (const auto& policy : found->second.policies) {
    for (const auto& n : policy.trustProviders) {
      if (std::find(out.begin(), out.end(), n) == out.end()) {
        out.push_back(n);
      }
    }
  }
  return out;
}

Decision CompiledConfig::decide(const Target& target, const trust::Attributes& context,
                                DecisionServices& services) const {
  Decision d;
  d.trace.reserve(8);  // a decision has a handful of steps: no regrowing
  const std::string where =
      target.host + ":" + std::to_string(target.port) + " (" + target.protocol + ")";
  const auto* server = index_.match(target);
  if (server == nullptr) {
    d.reasonCode = reason::kNoPolicy;
    d.reason = "no server workload matches " + where;
    d.trace.push_back(Step{"serverWorkload", "", false, d.reason, d.reasonCode});
    return d;
  }
  d.serverWorkload = server->metadata.name;
  const auto compiled = servers_.find(d.serverWorkload);
  d.trace.push_back(Step{
      "serverWorkload", d.serverWorkload, true,
      where + " matches " +
          (compiled != servers_.end() ? compiled->second.matchDescription : std::string("it"))});
  if (compiled == servers_.end() || compiled->second.policies.empty()) {
    d.reasonCode = reason::kNoPolicy;
    d.reason = "no enabled access policy grants access to server workload " + d.serverWorkload;
    d.trace.push_back(Step{"policy", "", false, d.reason, d.reasonCode});
    return d;
  }

  std::vector<std::string> refusals;
  std::string firstRefusalCode;
  bool infrastructureFailed = false;
  const auto refuse = [&](std::string text, std::string_view code) {
    refusals.push_back(std::move(text));
    if (firstRefusalCode.empty()) {
      firstRefusalCode = code;
    }
  };
  for (const auto& policy : compiled->second.policies) {
    const std::string& policyName = policy.name;
    d.trace.push_back(Step{"policy", policyName, true, "candidate for " + d.serverWorkload});

    // Trust providers: which of them verify this workload's evidence.
    const bool needAll = policy.needAllTrustProviders;
    std::vector<trust::VerifiedIdentity> identities;
    std::string trustFailure;
    std::string trustFailureCode;
    for (const auto& name : policy.trustProviders) {
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
      const auto& error = identity.error();
      infrastructureFailed |= isInfrastructureFailure(error.code);
      Step step{"trustProvider", name, false, error.describe(), std::string(reasonCodeFor(error))};
      if (error.code == ErrorCode::kTrustRuleFailed) {
        step.details = {{"attribute", fieldValue(error, "/attribute")},
                        {"expected", fieldValue(error, "/expected")},
                        {"actual", fieldValue(error, "/actual")}};
      }
      trustFailureCode = step.reasonCode;
      d.trace.push_back(std::move(step));
      trustFailure = error.message;
      if (needAll) {
        break;
      }
    }
    const bool trusted = needAll ? trustFailure.empty() : !identities.empty();
    if (!trusted) {
      refuse("policy " + policyName + ": " +
                 (needAll ? "trust providers (all of " + policy.trustProviderList +
                                ") not satisfied: " + trustFailure
                          : "no trust provider (any of " + policy.trustProviderList +
                                ") verified the workload: " + trustFailure),
             trustFailureCode);
      continue;
    }

    // Client workload: verified attributes of this policy's providers, plus context.
    policy::AttributeLayers attributes(context);
    for (const auto& id : identities) {
      attributes.push(id.attributes);
    }
    std::string identified;
    std::optional<Mismatch> mismatch;
    for (const auto& name : policy.clientWorkloads) {
      const auto matcher = clientMatchers_.find(name);
      if (matcher == clientMatchers_.end()) {
        continue;
      }
      const auto outcome = matcher->second.evaluate(attributes);
      std::string detail;
      for (const auto& line : outcome.trace) {
        detail += (detail.empty() ? "" : "; ") + line;
      }
      Step step{"clientWorkload", name, outcome.matched, detail};
      if (!outcome.matched) {
        step.reasonCode = reason::kMatchRuleFailed;
        if (outcome.firstMismatch) {
          step.details = {{"attribute", outcome.firstMismatch->attribute},
                          {"expected", outcome.firstMismatch->expected},
                          {"actual", outcome.firstMismatch->actual}};
          if (!mismatch) {
            mismatch = outcome.firstMismatch;
          }
        }
      }
      d.trace.push_back(std::move(step));
      if (outcome.matched) {
        identified = name;
        break;
      }
    }
    if (identified.empty()) {
      refuse("policy " + policyName + ": the workload is none of its client workloads (" +
                 policy.clientWorkloadList + ")" +
                 (mismatch ? ": " + mismatch->attribute + " " + mismatch->actual +
                                 ", required: " + mismatch->expected
                           : std::string()),
             reason::kMatchRuleFailed);
      continue;
    }

    // Access conditions: all must pass.
    std::string conditionFailure;
    for (const auto& name : policy.accessConditions) {
      const auto result = services.evaluate(name);
      Step step{"accessCondition", name, result.passed, result.reason};
      if (!result.passed) {
        step.reasonCode = reason::kConditionFailed;
        step.details = {{"condition", name}, {"detail", result.reason}};
      }
      d.trace.push_back(std::move(step));
      if (!result.passed) {
        conditionFailure = "access condition " + name + " failed: " + result.reason;
        break;
      }
    }
    if (!conditionFailure.empty()) {
      refuse("policy " + policyName + ": " + conditionFailure, reason::kConditionFailed);
      continue;
    }

    d.outcome = Outcome::kAuthorized;
    d.reasonCode = reason::kAuthorized;
    d.policy = policyName;
    d.clientWorkload = identified;
    d.credentialProvider = policy.credentialProvider;
    d.identities = std::move(identities);
    d.reason = "client workload " + identified + " may reach " + d.serverWorkload +
               " through policy " + policyName + " with credential provider " +
               d.credentialProvider;
    return d;
  }
  d.outcome = infrastructureFailed ? Outcome::kError : Outcome::kUnauthorized;
  d.reasonCode = infrastructureFailed ? std::string(reason::kProviderError) : firstRefusalCode;
  d.reason.clear();
  for (const auto& r : refusals) {
    d.reason += (d.reason.empty() ? "" : "; ") + r;
  }
  return d;
}

}  // namespace tessera::policy
