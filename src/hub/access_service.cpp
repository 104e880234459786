#include "hub/access_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/json_value_writer.hpp"
#include "common/json_writer.hpp"
#include "common/time_format.hpp"
#include "conditions/network_condition.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "model/field_errors.hpp"
#include "trust/aws_role_trust_provider.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 at -O2 (the release preset) reports the Boost.Asio coroutine frames' sized operator
// delete as mismatched with their operator new: a false positive that fails the -Werror build.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::hub {

using nlohmann::json;

struct AccessService::Compiled {
  std::shared_ptr<const model::ConfigSnapshot> snapshot;
  std::shared_ptr<const policy::CompiledConfig> decisions;  // null when it could not compile
  std::string decisionsError;
  std::map<std::string, std::shared_ptr<const trust::TrustProvider>, std::less<>> providers;
  std::map<std::string, std::int64_t, std::less<>> versions;
  std::map<std::string, Error, std::less<>> providerErrors;
  std::map<std::string, std::shared_ptr<const conditions::Condition>, std::less<>> conditions;
  std::map<std::string, Error, std::less<>> conditionErrors;
  std::map<std::string, std::shared_ptr<const credentials::CredentialProvider>, std::less<>>
      credentialProviders;
  std::map<std::string, Error, std::less<>> credentialErrors;
};

namespace {

// Answers the pure decision from what the service verified beforehand; evaluates each access
// condition once.
class RequestServices : public policy::DecisionServices {
 public:
  RequestServices(const AccessService::Compiled& compiled,
                  std::map<std::string, Result<trust::VerifiedIdentity>> verified,
                  conditions::ConditionContext context)
      : compiled_(compiled), verified_(std::move(verified)), context_(std::move(context)) {}

  Result<trust::VerifiedIdentity> verify(const std::string& name) override {
    const auto it = verified_.find(name);
    if (it == verified_.end()) {
      return fail(ErrorCode::kInternal, "trust provider " + name + " was not verified");
    }
    return it->second;
  }

  ConditionResult evaluate(const std::string& name) override {
    if (const auto memo = memo_.find(name); memo != memo_.end()) {
      return memo->second;
    }
    ConditionResult result;
    if (const auto c = compiled_.conditions.find(name); c != compiled_.conditions.end()) {
      const auto outcome = c->second->evaluate(context_);
      result.passed = outcome.passed;
      result.reason = outcome.reason;
    } else if (const auto e = compiled_.conditionErrors.find(name);
               e != compiled_.conditionErrors.end()) {
      result.reason = "cannot be evaluated: " + e->second.message;
    } else {
      result.reason = "access condition " + name + " does not exist";
    }
    memo_.emplace(name, result);
    return result;
  }

 private:
  const AccessService::Compiled& compiled_;
  std::map<std::string, Result<trust::VerifiedIdentity>> verified_;
  conditions::ConditionContext context_;
  std::map<std::string, ConditionResult> memo_;
};

void writeIdentity(JsonWriter& w, const trust::VerifiedIdentity& identity) {
  w.beginObject()
      .member("provider", identity.provider)
      .member("type", identity.type)
      .member("subject", identity.subject)
      .key("attributes")
      .beginObject();
  for (const auto& [name, a] : identity.attributes) {
    w.member(name, a.value);
  }
  w.endObject();
  if (identity.expiresAt) {
    w.member("expiresAt", rfc3339Text(*identity.expiresAt));
  }
  w.endObject();
}

// The members every rendering of a decision starts with, into an open object.
void writeDecisionMembers(JsonWriter& w, const AccessOutcome& outcome) {
  const auto& d = outcome.decision;
  w.member("contextId", outcome.contextId)
      .member("time", rfc3339Text(outcome.time))
      .member("outcome", policy::outcomeName(d.outcome))
      .member("reasonCode", d.reasonCode)
      .member("reason", d.reason);
  for (const auto& [key, value] :
       {std::pair{"serverWorkload", &d.serverWorkload}, std::pair{"policy", &d.policy},
        std::pair{"clientWorkload", &d.clientWorkload},
        std::pair{"credentialProvider", &d.credentialProvider}}) {
    if (!value->empty()) {
      w.member(key, *value);
    }
  }
  w.key("identities").beginArray();
  for (const auto& identity : d.identities) {
    writeIdentity(w, identity);
  }
  w.endArray();
}

// The decision's common members (rendered once by decide(), else here), then with `trace` its
// steps.
void writeDecision(JsonWriter& w, const AccessOutcome& outcome, bool trace) {
  if (!outcome.decisionMembers.empty()) {
    w.rawMembers(outcome.decisionMembers);
  } else {
    writeDecisionMembers(w, outcome);
  }
  if (trace) {
    w.key("trace").beginArray();
    for (const auto& step : outcome.decision.trace) {
      w.beginObject()
          .member("stage", step.stage)
          .member("passed", step.passed)
          .member("detail", step.detail);
      if (!step.object.empty()) {
        w.member("object", step.object);
      }
      if (!step.reasonCode.empty()) {
        w.member("reasonCode", step.reasonCode);
      }
      if (!step.details.is_null()) {
        w.key("details");
        writeJsonValue(w, step.details);
      }
      w.endObject();
    }
    w.endArray();
  }
}

// The common members as JSON text, without the braces around them.
std::string decisionMembersJson(const AccessOutcome& outcome) {
  std::string out;
  out.reserve(1024);
  JsonWriter w(out);
  w.beginObject();
  writeDecisionMembers(w, outcome);
  w.endObject();
  out.pop_back();
  out.erase(0, 1);
  return out;
}
}  // namespace

Result<AccessRequest> parseAccessRequest(const json& body) {
  model::FieldErrors errors;
  AccessRequest request;
  if (!body.is_object()) {
    errors.add("", "the body must be a JSON object");
    return errors.toError("access request");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "evidence" && key != "target" && key != "context") {
      errors.add(model::pointerAppend("", key), "is not a known member");
    }
  }
  const auto target = body.find("target");
  if (target == body.end() || !target->is_object()) {
    errors.add("/target", "is required: {host, port, protocol}");
  } else {
    const auto host = target->find("host");
    if (host == target->end() || !host->is_string() ||
        host->get_ref<const std::string&>().empty() ||
        host->get_ref<const std::string&>().size() > 253) {
      errors.add("/target/host", "must be a host name or IP address of 1 to 253 characters");
    } else {
      request.target.host = host->get<std::string>();
      for (auto& c : request.target.host) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    const auto port = target->find("port");
    if (port == target->end() || !port->is_number_integer() || port->get<std::int64_t>() < 1 ||
        port->get<std::int64_t>() > 65535) {
      errors.add("/target/port", "must be an integer from 1 to 65535");
    } else {
      request.target.port = static_cast<std::uint16_t>(port->get<std::int64_t>());
    }
    const auto protocol = target->find("protocol");
    if (protocol == target->end() || !protocol->is_string() ||
        protocol->get_ref<const std::string&>().empty() ||
        protocol->get_ref<const std::string&>().size() > 32) {
      errors.add("/target/protocol", "must be a protocol name such as http or postgres");
    } else {
      request.target.protocol = protocol->get<std::string>();
    }
    for (const auto& [key, value] : target->items()) {
      if (key != "host" && key != "port" && key != "protocol") {
        errors.add(model::pointerAppend("/target", key), "is not a known member");
      }
    }
  }
  if (const auto context = body.find("context"); context != body.end()) {
    if (!context->is_object() || context->size() > kMaxContextMembers) {
      errors.add("/context", "must be an object of at most " + std::to_string(kMaxContextMembers) +
                                 " string members");
    } else {
      for (const auto& [key, value] : context->items()) {
        const std::string where = model::pointerAppend("/context", key);
        if (!value.is_string() || key.empty() || key.size() > 64 ||
            value.get_ref<const std::string&>().size() > kMaxContextValueBytes) {
          errors.add(where, "must be a string of at most " + std::to_string(kMaxContextValueBytes) +
                                " bytes");
          continue;
        }
        if (key == "sourceIp") {
          if (!conditions::parseIpAddress(value.get_ref<const std::string&>())) {
            errors.add(where, "must be an IPv4 or IPv6 address");
            continue;
          }
          request.sourceIp = value.get<std::string>();
        }
        request.context.insert_or_assign(
            key, trust::Attribute{value.get<std::string>(), false, "context"});
      }
    }
  }
  if (const auto evidence = body.find("evidence"); evidence != body.end()) {
    auto parsed = trust::parseEvidence(*evidence, "/evidence");
    if (!parsed) {
      for (const auto& f : parsed.error().fields) {
        errors.add(f.pointer, f.reason);
      }
    } else {
      request.evidence = std::move(*parsed);
    }
  }
  if (!errors.empty()) {
    return errors.toError("access request");
  }
  return request;
}

AccessService::AccessService(ConfigService& config, std::shared_ptr<net::HttpClient> client,
                             const Clock& clock, AccessServiceOptions options)
    : config_(config),
      client_(client),
      clock_(clock),
      options_(std::move(options)),
      keyCache_(client, clock, options_.keyCache),
      tokenCache_(options_.tokenCache),
      grantCache_(options_.grantCache) {
  auto services = std::make_shared<credentials::CredentialServices>();
  services->issuer = options_.issuer;
  services->sign = options_.sign;
  services->http = std::move(client);
  services->kek = options_.kek;
  services->clock = &clock_;
  credentialServices_ = std::move(services);
}

std::shared_ptr<const AccessService::Compiled> AccessService::compiled() {
  auto snapshot = config_.snapshot();
  std::lock_guard lock(compiledMutex_);
  if (compiled_ && compiled_->snapshot == snapshot) {
    return compiled_;
  }
  auto next = std::make_shared<Compiled>();
  next->snapshot = snapshot;
  if (auto decisions = policy::CompiledConfig::compile(snapshot); decisions) {
    next->decisions = std::move(*decisions);
  } else {
    next->decisionsError = decisions.error().message;
    spdlog::error("the configuration cannot be compiled for decisions: {}",
                  decisions.error().describe());
  }
  for (const auto* object : snapshot->list(model::Kind::kTrustProvider)) {
    next->versions[object->metadata.name] = object->metadata.version;
    if (auto provider = trust::compileTrustProvider(*object); provider) {
      next->providers[object->metadata.name] = std::move(*provider);
    } else {
      next->providerErrors.emplace(object->metadata.name, provider.error());
    }
  }
  for (const auto* object : snapshot->list(model::Kind::kCredentialProvider)) {
    if (auto provider = credentials::compileCredentialProvider(*object, credentialServices_);
        provider) {
      next->credentialProviders[object->metadata.name] = std::move(*provider);
    } else {
      next->credentialErrors.emplace(object->metadata.name, provider.error());
    }
  }
  conditions::ConditionResources resources;
  resources.geoip = options_.geoip;
  for (const auto* object : snapshot->list(model::Kind::kAccessCondition)) {
    if (auto condition = conditions::compileCondition(*object, resources); condition) {
      next->conditions[object->metadata.name] = std::move(*condition);
    } else {
      next->conditionErrors.emplace(object->metadata.name, condition.error());
    }
  }
  compiled_ = std::move(next);
  return compiled_;
}

boost::asio::awaitable<Result<trust::VerifiedIdentity>> AccessService::verifyToken(
    const trust::TrustProvider& provider, std::string key, std::string token, SystemTime now) {
  auto keys = co_await keyCache_.keys(provider.keys(), trust::unverifiedKid(token));
  if (!keys) {
    co_return Error{ErrorCode::kUnavailable, "trust provider " + provider.name() +
                                                 ": keys of issuer " + provider.keys().issuer +
                                                 " unavailable: " + keys.error().message};
  }
  auto identity = provider.verifyToken(token, *keys->jwks, now);
  if (identity) {
    if (keys->stale) {
      identity->trace.push_back("keys are stale (the issuer has not answered since " +
                                formatRfc3339(keys->fetchedAt) + ")");
    }
    tokenCache_.insert(key, *identity, now);
  }
  co_return identity;
}

boost::asio::awaitable<Result<trust::VerifiedIdentity>> AccessService::verifyAwsRole(
    const trust::TrustProvider& provider, std::int64_t version,
    const trust::AwsSignedRequest& request, SystemTime now) {
  const auto* aws = dynamic_cast<const trust::AwsRoleTrustProvider*>(&provider);
  if (aws == nullptr) {
    co_return Error{ErrorCode::kInternal,
                    "trust provider " + provider.name() + " does not read AWS role evidence"};
  }
  // A signed request stays valid for maxRequestAge: while it does, the same request maps to the
  // same caller and need not be replayed again.
  std::string material = request.method + "\n" + request.url + "\n" + request.body;
  for (const auto& [name, value] : request.headers) {
    material += "\n" + name + ":" + value;
  }
  const std::string key = trust::VerifiedTokenCache::keyFor(provider.name(), version, material);
  if (auto hit = tokenCache_.find(key, now)) {
    hit->trace.push_back("verified earlier (cached until the signed request expires)");
    co_return std::move(*hit);
  }
  auto replay = aws->prepareReplay(request, options_.serverId, now);
  if (!replay) {
    co_return replay.error();
  }
  if (!client_) {
    co_return Error{ErrorCode::kUnavailable, "no HTTP client to reach STS"};
  }
  net::ClientRequest sts(replay->method, replay->url);
  for (const auto& [name, value] : replay->headers) {
    sts.withHeader(name, value);
  }
  sts.body = replay->body;
  sts.withTimeout(std::chrono::seconds(10))
      .withMaxResponseBytes(trust::kMaxStsResponseBytes + 1)
      .withMaxRedirects(0);
  auto response = co_await client_->request(std::move(sts));
  if (!response) {
    co_return Error{ErrorCode::kUnavailable,
                    "trust provider " + provider.name() +
                        ": STS could not be reached: " + response.error().message};
  }
  auto identity = aws->identityFromResponse(*replay, response->status, response->body);
  if (identity) {
    // A replay costs a round trip to STS (and counts against its limits): cached at once.
    tokenCache_.insert(key, *identity, now, trust::Admission::kAtOnce);
  }
  co_return identity;
}

boost::asio::awaitable<Result<trust::VerifiedIdentity>> AccessService::verify(
    std::shared_ptr<const Compiled> compiled, std::string name, const trust::Evidence& evidence,
    SystemTime now) {
  const auto found = compiled->providers.find(name);
  if (found == compiled->providers.end()) {
    if (const auto e = compiled->providerErrors.find(name); e != compiled->providerErrors.end()) {
      co_return Error{ErrorCode::kInternal,
                      "trust provider " + name + " cannot be used: " + e->second.message};
    }
    co_return Error{ErrorCode::kInternal, "trust provider " + name + " does not exist"};
  }
  const auto& provider = *found->second;
  const std::int64_t version = compiled->versions.at(name);
  switch (provider.evidenceKind()) {
    case trust::EvidenceKind::kToken: {
      // The cache first: a hit needs neither the issuer check (the token verified under this
      // provider, issuer included) nor decoding the token.
      std::vector<std::string> keys;
      keys.reserve(evidence.tokens.size());
      for (const auto& token : evidence.tokens) {
        keys.push_back(trust::VerifiedTokenCache::keyFor(name, version, token));
        if (auto hit = tokenCache_.find(keys.back(), now)) {
          hit->trace.push_back("verified earlier (cached until the token expires)");
          co_return std::move(*hit);
        }
      }
      std::vector<std::string> issuers;
      std::optional<Result<trust::VerifiedIdentity>> last;
      for (std::size_t i = 0; i < evidence.tokens.size(); ++i) {
        const auto& token = evidence.tokens[i];
        const std::string issuer = trust::unverifiedIssuer(token);
        if (issuer != provider.keys().issuer) {
          issuers.push_back(issuer.empty() ? "(unreadable)" : issuer);
          continue;
        }
        auto identity = co_await verifyToken(provider, keys[i], token, now);
        if (identity) {
          co_return identity;
        }
        last = std::move(identity);
      }
      if (last) {
        co_return std::move(*last);
      }
      std::string seen;
      for (const auto& i : issuers) {
        seen += (seen.empty() ? "" : ", ") + i;
      }
      co_return Error{
          ErrorCode::kEvidenceMissing,
          "trust provider " + name + ": no token from issuer " + provider.keys().issuer +
              " in the evidence" +
              (seen.empty() ? std::string(" (no tokens)") : " (tokens from " + seen + ")")};
    }
    case trust::EvidenceKind::kAwsGetCallerIdentity:
      if (!evidence.awsGetCallerIdentity) {
        co_return Error{ErrorCode::kEvidenceMissing,
                        "trust provider " + name + ": the evidence has no awsGetCallerIdentity"};
      }
      co_return co_await verifyAwsRole(provider, version, *evidence.awsGetCallerIdentity, now);
    case trust::EvidenceKind::kAwsInstanceIdentity:
    case trust::EvidenceKind::kAzureAttested:
      co_return provider.verifyDocument(evidence, now);
  }
  co_return Error{ErrorCode::kInternal, "trust provider " + name + ": unknown evidence kind"};
}

std::string contextIdAt(SystemTime time) {
  // Time first (microseconds, fixed-width hex), then 96 random bits: ids sort by time, so the
  // event store appends to its primary-key index instead of writing all over it.
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch());
  auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(0, micros.count()));
  constexpr std::size_t kTimeDigits = 14;
  std::string id(kTimeDigits, '0');
  for (std::size_t i = kTimeDigits; i-- > 0 && value != 0; value >>= 4) {
    id[i] = "0123456789abcdef"[value & 0xf];
  }
  id += crypto::randomToken(12);
  return id;
}

boost::asio::awaitable<CredentialRecord> AccessService::grant(
    std::shared_ptr<const Compiled> compiled, AccessOutcome& outcome, bool issue) {
  auto& d = outcome.decision;
  const std::string name = d.credentialProvider;
  CredentialRecord record;
  record.provider = name;
  const auto refuse = [&](const std::string& reason) {
    d.outcome = policy::Outcome::kError;
    d.reasonCode = policy::reason::kProviderError;
    d.reason = "policy " + d.policy + " authorizes client workload " + d.clientWorkload + ", but " +
               reason;
    d.trace.push_back(policy::Step{"credentialProvider", name, false, reason,
                                   std::string(policy::reason::kProviderError)});
    record.outcome = "failed";
    record.reason = reason;
  };
  const auto found = compiled->credentialProviders.find(name);
  if (found == compiled->credentialProviders.end()) {
    const auto e = compiled->credentialErrors.find(name);
    refuse(e != compiled->credentialErrors.end()
               ? "credential provider " + name + " cannot be used: " + e->second.message
               : "credential provider " + name + " does not exist");
    co_return record;
  }
  const std::shared_ptr<const credentials::CredentialProvider> provider = found->second;
  record.type = provider->type();
  if (!issue) {
    d.trace.push_back(
        policy::Step{"credentialProvider", name, true,
                     "would issue a " + provider->type() + " credential (explain issues none)"});
    record.outcome = "notIssued";
    co_return record;
  }
  const auto* object =
      compiled->snapshot->find(model::Kind::kCredentialProvider, std::string_view(name));
  const auto* server =
      compiled->snapshot->find(model::Kind::kServerWorkload, std::string_view(d.serverWorkload));
  const std::int64_t version = object != nullptr ? object->metadata.version : 0;
  std::string key =
      credentials::GrantCache::keyFor(d.policy, d.identities, d.serverWorkload, name, version);
  // The request is built only when the cache calls the provider, which it does within this
  // get() (see GrantCache::Issue): the references stay valid.
  credentials::GrantCache::Issue call = [&provider, &d, &outcome]() {
    return provider->issue(credentials::makeGrantRequest(d.identities, d.policy, d.clientWorkload,
                                                         d.serverWorkload, outcome.time));
  };
  auto answer = co_await grantCache_.get(std::move(key), outcome.time, std::move(call));
  record.cache = credentials::sourceName(answer.source);
  if (!answer.credential) {
    refuse("credential provider " + name + " (" + provider->type() +
           ") failed: " + answer.credential.error().message);
    co_return record;
  }
  Grant g;
  g.credential = std::move(*answer.credential);
  g.refreshAt = answer.refreshAt;
  g.injection =
      server != nullptr ? server->spec.value("authentication", json::object()) : json::object();
  const std::string expires = formatRfc3339(g.credential.expiresAt);
  d.trace.push_back(policy::Step{"credentialProvider", name, true,
                                 "issued a " + g.credential.type + " credential (" +
                                     std::string(credentials::sourceName(answer.source)) +
                                     "), valid until " + expires});
  record.outcome = "issued";
  record.credentialType = g.credential.type;
  record.expiresAt = expires;
  record.refreshAt = formatRfc3339(g.refreshAt);
  outcome.grant = std::move(g);
  co_return record;
}

boost::asio::awaitable<AccessOutcome> AccessService::decide(AccessRequest request,
                                                            std::string actor, bool record) {
  AccessOutcome outcome;
  outcome.time = clock_.now();
  outcome.contextId = contextIdAt(outcome.time);
  const SystemTime now = outcome.time;
  const auto config = compiled();
  auto& d = outcome.decision;
  if (!config->decisions) {
    d.outcome = policy::Outcome::kError;
    d.reasonCode = policy::reason::kProviderError;
    d.reason = "the configuration cannot be used for decisions: " + config->decisionsError;
  } else {
    std::map<std::string, Result<trust::VerifiedIdentity>> verified;
    for (const auto& name : config->decisions->trustProvidersFor(request.target)) {
      auto identity = co_await verify(config, name, request.evidence, now);
      verified.emplace(name, std::move(identity));
    }
    conditions::ConditionContext context;
    context.now = now;
    context.sourceIp = request.sourceIp;
    RequestServices services(*config, std::move(verified), std::move(context));
    d = config->decisions->decide(request.target, request.context, services);
  }
  CredentialRecord credential;
  if (d.outcome == policy::Outcome::kAuthorized) {
    credential = co_await grant(config, outcome, record);
  }

  outcome.actor = std::move(actor);
  outcome.target = std::move(request.target);
  outcome.context = std::move(request.context);
  outcome.credentialRecord = std::move(credential);
  // The event and the answer both start with these; rendered once.
  outcome.decisionMembers = decisionMembersJson(outcome);
  if (record && recorder_) {
    if (auto recorded = recorder_(outcome); !recorded) {
      // Fail closed: a decision that cannot be audited does not authorize.
      spdlog::error("access event {} could not be recorded: {}", outcome.contextId,
                    recorded.error().describe());
      d.outcome = policy::Outcome::kError;
      d.reasonCode = policy::reason::kProviderError;
      d.reason = "the access event could not be recorded: " + recorded.error().message;
      outcome.grant.reset();
      outcome.decisionMembers = decisionMembersJson(outcome);
    }
  }
  co_return outcome;
}

std::string accessAnswerJson(const AccessOutcome& outcome, bool explain) {
  std::string out;
  out.reserve(1024);
  JsonWriter w(out);
  w.beginObject();
  writeDecision(w, outcome, explain);
  if (outcome.grant && outcome.decision.outcome == policy::Outcome::kAuthorized) {
    const auto& g = *outcome.grant;
    w.key("grant").beginObject().key("credential");
    g.credential.writeJson(w);
    w.key("injection");
    writeJsonValue(w, g.injection);
    w.member("expiresAt", rfc3339Text(g.credential.expiresAt))
        .member("refreshAt", rfc3339Text(g.refreshAt))
        .member("contextId", outcome.contextId)
        .endObject();
  }
  w.endObject();
  return out;
}

std::string accessEventJson(const AccessOutcome& outcome) {
  std::string out;
  out.reserve(2048);
  JsonWriter w(out);
  w.beginObject();
  writeDecision(w, outcome, true);
  w.member("actor", outcome.actor)
      .key("target")
      .beginObject()
      .member("host", outcome.target.host)
      .member("port", outcome.target.port)
      .member("protocol", outcome.target.protocol)
      .endObject()
      .key("context")
      .beginObject();
  for (const auto& [name, attribute] : outcome.context) {
    w.member(name, attribute.value);
  }
  w.endObject();
  if (const auto& c = outcome.credentialRecord; !c.provider.empty()) {
    // Members in name order, as the document had them when it was an nlohmann object.
    w.key("credential").beginObject();
    for (const auto& [key, value] :
         {std::pair{"cache", &c.cache}, std::pair{"credentialType", &c.credentialType},
          std::pair{"expiresAt", &c.expiresAt}, std::pair{"outcome", &c.outcome},
          std::pair{"provider", &c.provider}, std::pair{"reason", &c.reason},
          std::pair{"refreshAt", &c.refreshAt}, std::pair{"type", &c.type}}) {
      if (!value->empty()) {
        w.member(key, *value);
      }
    }
    w.endObject();
  }
  w.endObject();
  return out;
}

}  // namespace tessera::hub

namespace tessera::hub {

store::AccessEventRecord accessEventRecord(const AccessOutcome& outcome) {
  const auto& d = outcome.decision;
  store::AccessEventRecord record;
  record.id = outcome.contextId;
  record.time = outcome.time;
  record.outcome = std::string(policy::outcomeName(d.outcome));
  record.reasonCode = d.reasonCode;
  record.serverWorkload = d.serverWorkload;
  record.policy = d.policy;
  record.clientWorkload = d.clientWorkload;
  if (const auto ip = outcome.context.find("sourceIp"); ip != outcome.context.end()) {
    record.sourceIp = ip->second.value;
  }
  record.document = accessEventJson(outcome);
  return record;
}

}  // namespace tessera::hub
