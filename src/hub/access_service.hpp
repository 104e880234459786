// AccessService: the engine behind the access API (POST /v1/access for edges, POST
// /v1/access/explain for operators). For each request it takes the current configuration
// snapshot (compiled once per snapshot: decision index, trust providers, access conditions),
// verifies the evidence that the candidate policies' trust providers read — tokens through the
// key cache and the verified-token cache, documents against pinned certificates, the AWS role
// by replaying the presigned GetCallerIdentity to STS — then runs the pure decision
// (policy::CompiledConfig::decide). An authorized decision then gets its grant: the policy's
// credential provider (compiled once per snapshot) issues through the grant cache, and the
// server workload's authentication block says how to inject it; a provider failure turns the
// decision into an Error. Explain issues nothing and says which provider would. Last, the access
// event: the provider's outcome, never the credential. Each trust provider and condition is
// evaluated at most once per request.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "conditions/condition.hpp"
#include "credentials/credential_provider.hpp"
#include "credentials/grant_cache.hpp"
#include "hub/config_service.hpp"
#include "net/http_client.hpp"
#include "policy/decision.hpp"
#include "store/access_event_repository.hpp"
#include "trust/evidence.hpp"
#include "trust/key_cache.hpp"
#include "trust/verified_token_cache.hpp"

namespace tessera::hub {

// A parsed access API body: {evidence, target: {host, port, protocol}, context: {sourceIp, ...}}.
struct AccessRequest {
  policy::Target target;
  trust::Attributes context;  // unverified: sourceIp, hostname, process, ...
  std::optional<std::string> sourceIp;
  trust::Evidence evidence;
};

inline constexpr std::size_t kMaxContextMembers = 32;
inline constexpr std::size_t kMaxContextValueBytes = 1024;

// kInvalidArgument with every bad member as a field error.
Result<AccessRequest> parseAccessRequest(const nlohmann::json& body);

// The request edges send on every call (tokens as evidence, a target, string context members),
// parsed from the body text without building a DOM: for those bodies the same AccessRequest as
// parseAccessRequest of the strictly parsed body. nullopt for anything else, valid or not: the
// caller then takes the general path, which also words every error. (access_request_scan.cpp)
std::optional<AccessRequest> scanCommonAccessRequest(std::string_view body, std::size_t maxBytes);

struct AccessServiceOptions {
  // Must be signed into AWS role evidence (X-Tessera-Server-ID) so that a presigned request
  // made for another hub cannot be replayed here.
  std::string serverId;
  std::shared_ptr<const conditions::GeoIpDatabase> geoip;
  trust::KeyCacheOptions keyCache{};
  trust::VerifiedTokenCacheOptions tokenCache{};
  credentials::GrantCacheOptions grantCache{};
  // What credential providers are compiled with: the hub's issuer URL and signer (KeyManager),
  // the KEK. The HTTP client and clock are the service's own.
  std::string issuer;
  credentials::Signer sign;
  const crypto::KeyEncryptionKey* kek = nullptr;
};

// What an authorized decision hands the edge: the credential, how to inject it (the server
// workload's authentication block), and when to ask again.
struct Grant {
  credentials::Credential credential;
  nlohmann::json injection;
  SystemTime refreshAt{};
};

// What the access event says about the credential provider's part (never the credential).
struct CredentialRecord {
  std::string provider;        // empty: no provider ran
  std::string type;            // the provider's type, once found
  std::string outcome;         // issued, failed, notIssued
  std::string reason;          // why it failed
  std::string cache;           // where the credential came from (GrantCache source)
  std::string credentialType;  // what was issued, and its times
  std::string expiresAt;
  std::string refreshAt;
};

// One decision with what the access event records.
struct AccessOutcome {
  std::string contextId;
  SystemTime time{};
  policy::Decision decision;
  // What the access event records beside the decision (never a token, signature or secret).
  std::string actor;
  policy::Target target;
  trust::Attributes context;
  CredentialRecord credentialRecord;
  std::optional<Grant> grant;  // authorized decisions of POST /v1/access only
  // The decision's members that the answer and the event both start with (contextId ...
  // identities), as JSON text without braces: rendered by decide() once the decision is final.
  // Empty: rendered from `decision` where needed.
  std::string decisionMembers;
};

class AccessService {
 public:
  // Called with every decision of POST /v1/access; an error makes the decision fail closed
  // (the event could not be recorded).
  using EventRecorder = std::function<Result<void>(const AccessOutcome&)>;

  AccessService(ConfigService& config, std::shared_ptr<net::HttpClient> client, const Clock& clock,
                AccessServiceOptions options);

  void setEventRecorder(EventRecorder recorder) { recorder_ = std::move(recorder); }

  // Decides. `actor` is the caller ("token:<id>"), recorded in the event; `record` is false for
  // explain. Never fails: every failure is an Error-outcome decision with its reason.
  boost::asio::awaitable<AccessOutcome> decide(AccessRequest request, std::string actor,
                                               bool record);

  const ConfigService& config() const { return config_; }
  trust::KeyCache& keyCache() { return keyCache_; }
  trust::VerifiedTokenCacheStats tokenCacheStats() const { return tokenCache_.stats(); }
  credentials::GrantCacheStats grantCacheStats() const { return grantCache_.stats(); }

  struct Compiled;

 private:
  std::shared_ptr<const Compiled> compiled();
  boost::asio::awaitable<Result<trust::VerifiedIdentity>> verify(
      std::shared_ptr<const Compiled> compiled, std::string provider,
      const trust::Evidence& evidence, SystemTime now);
  // A token the cache does not hold (`key`: its VerifiedTokenCache key).
  boost::asio::awaitable<Result<trust::VerifiedIdentity>> verifyToken(
      const trust::TrustProvider& provider, std::string key, std::string token, SystemTime now);
  boost::asio::awaitable<Result<trust::VerifiedIdentity>> verifyAwsRole(
      const trust::TrustProvider& provider, std::int64_t version,
      const trust::AwsSignedRequest& request, SystemTime now);
  // Issues (or, for explain, names) the credential of an authorized decision; a failure turns
  // it into an Error. Returns the event's record of the provider's outcome.
  boost::asio::awaitable<CredentialRecord> grant(std::shared_ptr<const Compiled> compiled,
                                                 AccessOutcome& outcome, bool issue);

  ConfigService& config_;
  std::shared_ptr<net::HttpClient> client_;
  const Clock& clock_;
  AccessServiceOptions options_;
  trust::KeyCache keyCache_;
  trust::VerifiedTokenCache tokenCache_;
  std::shared_ptr<const credentials::CredentialServices> credentialServices_;
  credentials::GrantCache grantCache_;
  EventRecorder recorder_;
  std::mutex compiledMutex_;
  std::shared_ptr<const Compiled> compiled_;
};

// The access API's answer: contextId, time, outcome, reasonCode, reason, the chosen objects and
// the identities; with `explain` also the trace of every step; for an issued grant the member
// grant {credential, injection, expiresAt, refreshAt, contextId} — which holds the credential,
// so the answer is only ever written to the edge that asked.
std::string accessAnswerJson(const AccessOutcome& outcome, bool explain);

// The access event document: the decision with its trace, actor, target, context and the
// credential provider's outcome (never the credential).
std::string accessEventJson(const AccessOutcome& outcome);

// A decision's context id: 14 hex digits of its time in Unix microseconds, then 16 random
// base64url characters (96 bits). Unique, unguessable, and ordered by time.
std::string contextIdAt(SystemTime time);

// The stored form of a decision's access event.
store::AccessEventRecord accessEventRecord(const AccessOutcome& outcome);

}  // namespace tessera::hub
