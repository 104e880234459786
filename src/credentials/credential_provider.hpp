// CredentialProvider: obtains the credential a server workload expects for one authorized
// decision — a JWT the hub signs, a sealed static secret, and (later) cloud exchanges. A provider
// is compiled from a validated CredentialProvider object (compileCredentialProvider dispatches on
// spec.type; one file per type) with the hub's services, once per configuration snapshot; its
// issue call runs per grant (the hub's grant cache decides how often). Used by the access
// service.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/json_writer.hpp"
#include "common/result.hpp"
#include "crypto/sealing.hpp"
#include "model/config_object.hpp"
#include "net/http_client.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::credentials {

// The credential material of a grant. `fields` are named as the grant carries them: token,
// apiKey, username, password, accessKeyId, secretAccessKey, sessionToken... Secret: never logged,
// never in an event or error; use fingerprint() to name one.
struct Credential {
  std::string type;  // "id-token", "api-key", "bearer-token", "username-password", ...
  std::map<std::string, std::string> fields;
  SystemTime issuedAt{};
  SystemTime expiresAt{};

  // {type, <fields>..., expiresAt}: the grant's credential member.
  nlohmann::json toJson() const;
  // The same object written as text (the access API's answer).
  void writeJson(JsonWriter& w) const;
  // A non-reversible name of the material, for logs and tests.
  std::string fingerprint() const;
};

// What a provider knows about the decision it issues for. Only verified attributes: templates
// must not expand what the edge merely reported.
struct GrantRequest {
  std::vector<trust::VerifiedIdentity> identities;  // of the authorizing policy
  // The identities' verified attributes ("k8s.namespace"...), plus tessera.* facts of the
  // decision (tessera.clientWorkload, tessera.policy, tessera.serverWorkload, tessera.subject,
  // tessera.trustProvider), all marked verified.
  trust::Attributes attributes;
  std::string subject;  // the first identity's subject
  std::string policy;
  std::string clientWorkload;
  std::string serverWorkload;
  SystemTime now{};
};

// Builds a request from a decision's identities and names (see GrantRequest::attributes).
GrantRequest makeGrantRequest(std::vector<trust::VerifiedIdentity> identities, std::string policy,
                              std::string clientWorkload, std::string serverWorkload,
                              SystemTime now);

// Signs claims as the hub (KeyManager::sign in the hub): algorithm "RS256" / "ES256".
using Signer =
    std::function<Result<std::string>(std::string_view algorithm, const nlohmann::json& claims)>;

// What the hub lends its providers. Given at compile time; outlives every compiled provider.
struct CredentialServices {
  std::string issuer;  // the hub's issuer URL: iss of every token it signs
  Signer sign;
  std::shared_ptr<net::HttpClient> http;  // for providers that call upstream
  // Secret fields arrive unsealed in the snapshot (see hub/config_service.hpp); providers that
  // keep material of their own sealed may use this.
  const crypto::KeyEncryptionKey* kek = nullptr;
  const Clock* clock = nullptr;
};

// Errors of issue(): kInvalidArgument when the request lacks what the provider needs (a template
// names a missing attribute), kUnavailable / kTimeout when an upstream failed,
// kInternal when the hub cannot sign. The message is an operator's reason and never holds
// credential material.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }

  virtual boost::asio::awaitable<Result<Credential>> issue(GrantRequest request) const = 0;

 protected:
  CredentialProvider(std::string name, std::string type)
      : name_(std::move(name)), type_(std::move(type)) {}

  // Type-specific members of the validated spec, read once by compileCredentialProvider;
  // kInvalidArgument names the member.
  virtual Result<void> configure(const nlohmann::json& spec) = 0;

  // For providers that present a hub-signed token upstream (aws-sts, gcp-workload-identity,
  // azure-entra-federation): the identity the hub vouches for, i.e. the client workload's name,
  // or the verified subject when the decision named no client workload.
  static std::string workloadSubject(const GrantRequest& request);
  // `claims` signed RS256 as the hub; the claims' own error, or one saying the hub could not
  // sign `what` ("the web identity token").
  Result<std::string> signAsHub(const Result<nlohmann::json>& claims, std::string_view what) const;

  std::shared_ptr<const CredentialServices> services_;

 private:
  friend Result<std::unique_ptr<const CredentialProvider>> compileCredentialProvider(
      const model::ConfigObject& object, std::shared_ptr<const CredentialServices> services);
  std::string name_;
  std::string type_;
};

// kConfigInvalid for a type this hub cannot issue yet; kInvalidArgument for a spec it cannot use
// (a malformed template), naming the member.
Result<std::unique_ptr<const CredentialProvider>> compileCredentialProvider(
    const model::ConfigObject& object, std::shared_ptr<const CredentialServices> services);

}  // namespace tessera::credentials
