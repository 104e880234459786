// TrustProvider: verifies the evidence a workload presents and yields its verified attributes.
// A provider is compiled from a validated TrustProvider object (compileTrustProvider dispatches on
// spec.type; one file per type). Token types verify a JWT against keys the caller supplies (the
// key cache does the fetching); document types (EC2 instance identity, Azure attested data)
// verify a signed document against pinned certificates; the AWS role type checks a presigned
// request that the caller replays. All at an explicit `now`, then the provider's rules. Pure;
// used by the access pipeline.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "jose/json_strict.hpp"
#include "jose/jwk.hpp"
#include "model/config_object.hpp"
#include "trust/attributes.hpp"
#include "trust/evidence.hpp"

namespace tessera::trust {

struct VerifiedIdentity {
  std::string provider;         // TrustProvider name
  std::string type;             // "kubernetes", ...
  std::string subject;          // the token's sub
  SharedAttributes attributes;  // prefixed per type: "k8s.namespace", "github.repository", ...
  std::optional<SystemTime> expiresAt;
  std::vector<std::string> trace;  // what was checked, for the access event
};

// Where a token provider's keys come from (the key cache reads this).
struct KeyLocation {
  std::string issuer;
  std::optional<std::string> jwksUri;  // explicit; otherwise discovery at the issuer
  std::optional<std::string> inlineJwks;
};

// Which member of the evidence a provider type reads.
enum class EvidenceKind { kToken, kAwsGetCallerIdentity, kAwsInstanceIdentity, kAzureAttested };
std::string_view evidenceKindName(EvidenceKind kind) noexcept;  // "tokens", ...

// One of spec.rules, read once when the provider is compiled rather than on every verification:
// the attribute it tests and how.
struct TrustRule {
  enum class Kind { kEquals, kGlob, kOneOf };
  std::string attribute;
  Kind kind = Kind::kEquals;
  std::vector<std::string> values;  // one for kEquals and kGlob
  std::string description;          // "equals 'x'", "matches 'x*'", "one of ['a', 'b']"
  bool holds(const std::string& value) const;
};

// Errors of verification, as the access pipeline classifies them:
//   kEvidenceMissing (no evidence of the provider's kind), kEvidenceInvalid (malformed or
//   unverifiable evidence), kToken* from jose (signature, expiry, issuer, audience...),
//   kTrustRuleFailed (a rule refused; Error::fields carries "/attribute", "/expected" and
//   "/actual" as pointer/reason pairs), kUnavailable and friends when keys or an upstream could
//   not be reached.
class TrustProvider {
 public:
  virtual ~TrustProvider() = default;
  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  virtual EvidenceKind evidenceKind() const { return EvidenceKind::kToken; }
  const KeyLocation& keys() const { return keys_; }

  // Token types: verifies `token` (signature with `jwks`, iss, aud, exp/nbf/iat, then the
  // rules).
  Result<VerifiedIdentity> verifyToken(std::string_view token, const jose::Jwks& jwks,
                                       SystemTime now) const;

  // Document types: verifies the evidence member of this provider's kind. The default refuses
  // (kInternal): the type reads another kind of evidence.
  virtual Result<VerifiedIdentity> verifyDocument(const Evidence& evidence, SystemTime now) const;

 protected:
  TrustProvider(std::string name, std::string type)
      : name_(std::move(name)), type_(std::move(type)) {}

  // Type-specific members of the validated spec (certificates, endpoints...), read once by
  // compileTrustProvider; kInvalidArgument names the member. The default reads nothing.
  virtual Result<void> configure(const nlohmann::json& spec);

  // Token types: the type's attributes from the verified claims ("namespace" -> value).
  // Rules read these names; the identity exports them with the type's prefix.
  virtual Result<std::vector<std::pair<std::string, std::string>>> attributesOf(
      const nlohmann::json& claims) const;
  // The same from the claims as validated text. The default builds the claims DOM and calls
  // attributesOf; a type that reads a few known claims overrides this to read them from the text
  // instead (the DOM is a few microseconds of every fresh token's verification).
  virtual Result<std::vector<std::pair<std::string, std::string>>> attributesOfClaims(
      const jose::LazyJson& claims) const;
  virtual std::string_view attributePrefix() const = 0;

  // Applies the rules to the type's `attributes` and exports them into `identity` (verified,
  // prefixed). Every type ends its verification here.
  Result<VerifiedIdentity> applyRules(
      VerifiedIdentity identity, std::vector<std::pair<std::string, std::string>> attributes) const;

  KeyLocation keys_;
  // Public keys given as PEM (spec.jwks holding PEM blocks): trusted whatever kid a token names,
  // since PEM carries none. Public JWK members without a kid.
  std::vector<nlohmann::json> pemKeys_;
  std::vector<std::string> audiences_;
  std::vector<TrustRule> rules_;  // spec.rules, compiled once

 private:
  friend Result<std::unique_ptr<const TrustProvider>> compileTrustProvider(
      const model::ConfigObject& object);
  std::string name_;
  std::string type_;
};

// kInvalidArgument for an unknown type (validation prevents it) or an unusable inline JWKS.
Result<std::unique_ptr<const TrustProvider>> compileTrustProvider(
    const model::ConfigObject& object);

}  // namespace tessera::trust
