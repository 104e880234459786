#include "credentials/credential_provider.hpp"

#include "common/time_format.hpp"
#include "credentials/provider_types.hpp"
#include "crypto/digest.hpp"

namespace tessera::credentials {

namespace {
// Fields cannot stand in for the credential's own members.
bool isOwnMember(std::string_view name) {
  return name == "type" || name == "expiresAt";
}
}  // namespace

nlohmann::json Credential::toJson() const {
  nlohmann::json out = {{"type", type}};
  for (const auto& [name, value] : fields) {
    if (!isOwnMember(name)) {
      out[name] = value;
    }
  }
  out["expiresAt"] = formatRfc3339(expiresAt);
  return out;
}

void Credential::writeJson(JsonWriter& w) const {
  w.beginObject().member("type", type);
  for (const auto& [name, value] : fields) {
    if (!isOwnMember(name)) {
      w.member(name, value);
    }
  }
  w.member("expiresAt", rfc3339Text(expiresAt)).endObject();
}

std::string Credential::fingerprint() const {
  std::string material = type;
  for (const auto& [name, value] : fields) {
    material += '\n' + name + '=' + value;
  }
  return crypto::fingerprint(material);
}

GrantRequest makeGrantRequest(std::vector<trust::VerifiedIdentity> identities, std::string policy,
                              std::string clientWorkload, std::string serverWorkload,
                              SystemTime now) {
  GrantRequest r;
  for (const auto& identity : identities) {
    for (const auto& [name, attribute] : identity.attributes) {
      if (attribute.verified) {
        r.attributes.emplace(name, attribute);  // the first identity naming it wins
      }
    }
  }
  if (!identities.empty()) {
    r.subject = identities.front().subject;
  }
  const auto fact = [&](std::string name, const std::string& value) {
    if (!value.empty()) {
      r.attributes.insert_or_assign(std::move(name), trust::Attribute{value, true, "decision"});
    }
  };
  fact("tessera.clientWorkload", clientWorkload);
  fact("tessera.policy", policy);
  fact("tessera.serverWorkload", serverWorkload);
  fact("tessera.subject", r.subject);
  if (!identities.empty()) {
    fact("tessera.trustProvider", identities.front().provider);
  }
  r.identities = std::move(identities);
  r.policy = std::move(policy);
  r.clientWorkload = std::move(clientWorkload);
  r.serverWorkload = std::move(serverWorkload);
  r.now = now;
  return r;
}

std::string CredentialProvider::workloadSubject(const GrantRequest& request) {
  return request.clientWorkload.empty() ? request.subject : request.clientWorkload;
}

Result<std::string> CredentialProvider::signAsHub(const Result<nlohmann::json>& claims,
                                                  std::string_view what) const {
  if (!claims) {
    return claims.error();
  }
  auto token = services_->sign("RS256", *claims);
  if (!token) {
    return Error{token.error().code,
                 "the hub could not sign " + std::string(what) + ": " + token.error().message};
  }
  return token;
}

Result<std::unique_ptr<const CredentialProvider>> compileCredentialProvider(
    const model::ConfigObject& object, std::shared_ptr<const CredentialServices> services) {
  const std::string type = object.spec.value("type", "");
  auto provider = makeCredentialProvider(object.metadata.name, type);
  if (!provider) {
    return fail(ErrorCode::kConfigInvalid,
                "credential provider type " + type + " cannot issue credentials in this hub yet");
  }
  provider->services_ = std::move(services);
  if (auto configured = provider->configure(object.spec); !configured) {
    return Error{configured.error().code,
                 "credential provider " + object.metadata.name + ": " + configured.error().message};
  }
  return std::unique_ptr<const CredentialProvider>(std::move(provider));
}

}  // namespace tessera::credentials
