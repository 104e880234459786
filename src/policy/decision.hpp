// The access decision, purely: given the configuration (compiled per snapshot), the target a
// workload wants to reach and the context the edge reported, walk the pipeline
//   server workload -> candidate policies -> trust providers -> client workload -> conditions
// and return Authorized / Unauthorized / Error with every step and its reason. Evidence
// verification and condition evaluation come through interfaces so that the caller decides how
// keys are fetched and results cached (the hub's access API); here they are just answers.
// Cost grows with the policies of the matched server workload only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "model/config_snapshot.hpp"
#include "policy/client_matcher.hpp"
#include "policy/server_workload_index.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::policy {

enum class Outcome { kAuthorized, kUnauthorized, kError };
std::string_view outcomeName(Outcome outcome) noexcept;  // "authorized", ...

// Reason codes (stable API: access events, the access API, explain). A step that passed has
// none; Authorized decisions have "Authorized".
namespace reason {
inline constexpr std::string_view kAuthorized = "Authorized";
inline constexpr std::string_view kNoPolicy = "NoPolicy";        // no server workload/policy
inline constexpr std::string_view kNoDataFound = "NoDataFound";  // no evidence for a provider
inline constexpr std::string_view kInvalidEvidence = "InvalidEvidence";    // malformed
inline constexpr std::string_view kInvalidSignature = "InvalidSignature";  // signature, key, alg
inline constexpr std::string_view kExpired = "Expired";  // exp, nbf, iat, stale document
inline constexpr std::string_view kClaimRejected = "ClaimRejected";      // issuer, audience, claims
inline constexpr std::string_view kMatchRuleFailed = "MatchRuleFailed";  // {attribute, ...}
inline constexpr std::string_view kConditionFailed = "ConditionFailed";  // {condition, detail}
inline constexpr std::string_view kProviderError = "ProviderError";  // keys/upstream unreachable
}  // namespace reason

// The reason code of a trust provider's verification error.
std::string_view reasonCodeFor(const Error& error) noexcept;

struct Step {
  // serverWorkload, policy, trustProvider, clientWorkload, accessCondition, credentialProvider
  std::string stage;
  std::string object;  // the object's name, "" when none
  bool passed = false;
  std::string detail;
  std::string reasonCode{};  // for a step that failed
  // MatchRuleFailed: {attribute, expected, actual}; ConditionFailed: {condition, detail}.
  nlohmann::json details{};
};

struct Decision {
  Outcome outcome = Outcome::kUnauthorized;
  std::string reasonCode;  // Authorized, or the code of the refusal that decided
  std::string reason;      // one sentence an operator can act on
  std::string serverWorkload;
  std::string policy;
  std::string clientWorkload;
  std::string credentialProvider;
  std::vector<trust::VerifiedIdentity> identities;  // of the authorizing policy
  std::vector<Step> trace;
};

// Answers for one decision; implementations memoize so each provider and condition runs once.
class DecisionServices {
 public:
  virtual ~DecisionServices() = default;
  // kUnavailable / kTimeout when keys could not be had: the decision becomes an Error if no
  // policy authorizes.
  virtual Result<trust::VerifiedIdentity> verify(const std::string& trustProvider) = 0;
  struct ConditionResult {
    bool passed = false;
    std::string reason;
  };
  virtual ConditionResult evaluate(const std::string& accessCondition) = 0;
};

// What decisions need from a snapshot, built once per snapshot.
class CompiledConfig {
 public:
  // kInvalidArgument naming the object when a stored object cannot be compiled.
  static Result<std::shared_ptr<const CompiledConfig>> compile(
      std::shared_ptr<const model::ConfigSnapshot> snapshot);

  Decision decide(const Target& target, const trust::Attributes& context,
                  DecisionServices& services) const;

  // The trust providers that deciding `target` may consult (those of the enabled policies of
  // its server workload), so that a caller can verify evidence asynchronously beforehand.
  std::vector<std::string> trustProvidersFor(const Target& target) const;

  const model::ConfigSnapshot& snapshot() const { return *snapshot_; }

 private:
  explicit CompiledConfig(std::shared_ptr<const model::ConfigSnapshot> snapshot)
      : snapshot_(std::move(snapshot)), index_(*snapshot_) {}

  // An enabled access policy's spec, read once per snapshot rather than per decision.
  struct Policy {
    std::string name;
    bool needAllTrustProviders = true;  // match: all (the default) or any
    std::vector<std::string> trustProviders;
    std::string trustProviderList;  // "a, b", for refusals
    std::vector<std::string> clientWorkloads;
    std::string clientWorkloadList;
    std::vector<std::string> accessConditions;
    std::string credentialProvider;
  };
  // A server workload: how a target matched it (for the trace) and its enabled policies,
  // ordered by name.
  struct Server {
    std::string matchDescription;
    std::vector<Policy> policies;
  };

  std::shared_ptr<const model::ConfigSnapshot> snapshot_;
  ServerWorkloadIndex index_;
  std::map<std::string, ClientMatcher, std::less<>> clientMatchers_;
  std::map<std::string, Server, std::less<>> servers_;  // by server workload name
};

}  // namespace tessera::policy
