// TrustProvider: verifies the evidence a workload presents and yields its verified attributes.
// A provider is compiled from a validated TrustProvider object (compileTrustProvider dispatches on
// spec.type; one file per type). Token types verify a JWT against keys the caller supplies (the
// key cache does the fetching), at an explicit `now`, then apply the provider's rules. Pure;
// used by the access pipeline.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "jose/jwk.hpp"
#include "model/config_object.hpp"
#include "trust/attributes.hpp"

namespace tessera::trust {

struct VerifiedIdentity {
  std::string provider;   // TrustProvider name
  std::string type;       // "kubernetes", ...
  std::string subject;    // the token's sub
  Attributes attributes;  // prefixed per type: "k8s.namespace", "github.repository", ...
  std::optional<SystemTime> expiresAt;
  std::vector<std::string> trace;  // what was checked, for the access event
};

// Where a token provider's keys come from (the key cache reads this).
struct KeyLocation {
  std::string issuer;
  std::optional<std::string> jwksUri;  // explicit; otherwise discovery at the issuer
  std::optional<std::string> inlineJwks;
};

class TrustProvider {
 public:
  virtual ~TrustProvider() = default;
  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  const KeyLocation& keys() const { return keys_; }

  // Verifies `token` (signature with `jwks`, iss, aud, exp/nbf/iat, then the rules). Errors name
  // the check that failed (kToken* codes from jose; kPermissionDenied for a rule).
  Result<VerifiedIdentity> verifyToken(std::string_view token, const jose::Jwks& jwks,
                                       SystemTime now) const;

 protected:
  TrustProvider(std::string name, std::string type)
      : name_(std::move(name)), type_(std::move(type)) {}

  // The type's attributes from the verified claims ("namespace" -> value). Rules read these
  // names; the identity exports them with the type's prefix.
  virtual Result<std::vector<std::pair<std::string, std::string>>> attributesOf(
      const nlohmann::json& claims) const = 0;
  virtual std::string_view attributePrefix() const = 0;

  KeyLocation keys_;
  std::vector<std::string> audiences_;
  nlohmann::json rules_ = nlohmann::json::array();

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
