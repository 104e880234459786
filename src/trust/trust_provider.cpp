#include "trust/trust_provider.hpp"

#include <algorithm>

#include "common/glob.hpp"
#include "jose/jwt.hpp"
#include "trust/evidence.hpp"
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {
// The public keys of the PEM blocks in `text` as JWK members (no kid).
Result<std::vector<nlohmann::json>> pemPublicKeys(const std::string& text) {
  std::vector<nlohmann::json> keys;
  constexpr std::string_view kEnd = "-----END ";
  std::size_t at = 0;
  while ((at = text.find("-----BEGIN ", at)) != std::string::npos) {
    const auto end = text.find(kEnd, at);
    const auto close = end == std::string::npos ? end : text.find("-----", end + kEnd.size());
    if (close == std::string::npos) {
      return fail(ErrorCode::kInvalidArgument, "/spec/jwks: a PEM block is not terminated");
    }
    const std::string block = text.substr(at, close + 5 - at);
    auto key = jose::Jwk::fromPem(block);
    if (!key) {
      return fail(
          ErrorCode::kInvalidArgument,
          "/spec/jwks: PEM block " + std::to_string(keys.size() + 1) + ": " + key.error().message);
    }
    auto members = key->toPublicJson();
    members.erase("kid");
    keys.push_back(std::move(members));
    at = close + 5;
  }
  if (keys.empty() || keys.size() > 16) {
    return fail(ErrorCode::kInvalidArgument, "/spec/jwks: give 1 to 16 PEM public keys");
  }
  return keys;
}

// spec.rules as compiled rules: each an object naming its attribute and one of equals, glob
// or oneOf (checked first in that order), with strings for values.
Result<std::vector<TrustRule>> compileRules(const nlohmann::json& spec) {
  std::vector<TrustRule> rules;
  const auto it = spec.find("rules");
  if (it == spec.end() || it->is_null()) {
    return rules;
  }
  if (!it->is_array()) {
    return fail(ErrorCode::kInvalidArgument, "/spec/rules: must be an array");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& r = (*it)[i];
    const std::string at = "/spec/rules/" + std::to_string(i);
    const auto text = [&](const char* member) -> const std::string* {
      const auto m = r.find(member);  // end() when r is not an object
      return m != r.end() && m->is_string() ? m->get_ptr<const std::string*>() : nullptr;
    };
    TrustRule rule;
    const std::string* attribute = text("attribute");
    if (attribute == nullptr) {
      return fail(ErrorCode::kInvalidArgument, at + "/attribute: must be a string");
    }
    rule.attribute = *attribute;
    if (r.contains("equals")) {
      const std::string* v = text("equals");
      if (v == nullptr) {
        return fail(ErrorCode::kInvalidArgument, at + "/equals: must be a string");
      }
      rule.values = {*v};
      rule.description = "equals '" + *v + "'";
    } else if (r.contains("glob")) {
      const std::string* v = text("glob");
      if (v == nullptr) {
        return fail(ErrorCode::kInvalidArgument, at + "/glob: must be a string");
      }
      rule.kind = TrustRule::Kind::kGlob;
      rule.values = {*v};
      rule.description = "matches '" + *v + "'";
    } else {
      rule.kind = TrustRule::Kind::kOneOf;
      std::string list;
      for (const auto& v : r.value("oneOf", nlohmann::json::array())) {
        if (!v.is_string()) {
          return fail(ErrorCode::kInvalidArgument, at + "/oneOf: must hold strings");
        }
        list += (list.empty() ? "'" : ", '") + v.get<std::string>() + "'";
        rule.values.push_back(v.get<std::string>());
      }
      rule.description = "one of [" + list + "]";
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}
}  // namespace

Result<VerifiedIdentity> TrustProvider::verifyToken(std::string_view token, const jose::Jwks& jwks,
                                                    SystemTime now) const {
  jose::JwtValidationOptions options;
  options.issuer = keys_.issuer;
  options.audiences = audiences_;
  jose::Jwks pemJwks;
  if (!pemKeys_.empty()) {
    // PEM keys have no kid: give each the token's, so that they are the candidates.
    const std::string kid = unverifiedKid(token);
    std::vector<jose::Jwk> keys;
    for (auto member : pemKeys_) {
      if (!kid.empty()) {
        member["kid"] = kid;
      }
      if (auto key = jose::Jwk::fromJson(member)) {
        keys.push_back(std::move(*key));
      }
    }
    pemJwks = jose::Jwks(std::move(keys));
  }
  auto verified = jose::verifyJwt(token, pemKeys_.empty() ? jwks : pemJwks, options, now);
  if (!verified) {
    return Error{verified.error().code,
                 "trust provider " + name_ + " (" + type_ + "): " + verified.error().message};
  }
  VerifiedIdentity identity;
  identity.provider = name_;
  identity.type = type_;
  identity.subject = std::string(verified->subject());
  identity.expiresAt = verified->expiresAt;
  identity.trace.push_back("signature (" + std::string(jose::algorithmName(verified->alg)) +
                           ", kid " + verified->key.kid() + "), issuer, audience and lifetime " +
                           "verified");
  auto attributes = attributesOfClaims(verified->claims);
  if (!attributes) {
    return Error{attributes.error().code,
                 "trust provider " + name_ + " (" + type_ + "): " + attributes.error().message};
  }
  return applyRules(std::move(identity), std::move(*attributes));
}

bool TrustRule::holds(const std::string& value) const {
  switch (kind) {
    case Kind::kEquals:
      return value == values.front();
    case Kind::kGlob:
      return globMatch(values.front(), value);
    case Kind::kOneOf:
      return std::find(values.begin(), values.end(), value) != values.end();
  }
  return false;
}

Result<VerifiedIdentity> TrustProvider::applyRules(
    VerifiedIdentity identity, std::vector<std::pair<std::string, std::string>> attributes) const {
  identity.provider = name_;
  identity.type = type_;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& rule = rules_[i];
    const std::string& name = rule.attribute;
    const auto it = std::find_if(attributes.begin(), attributes.end(),
                                 [&](const auto& a) { return a.first == name; });
    const std::string& expected = rule.description;
    if (it == attributes.end() || !rule.holds(it->second)) {
      const std::string actual = it == attributes.end() ? "(absent)" : "'" + it->second + "'";
      Error error{ErrorCode::kTrustRuleFailed,
                  "trust provider " + name_ + ": rule " + std::to_string(i + 1) + ": " + name +
                      (it == attributes.end() ? " is absent from the evidence"
                                              : " " + actual + ", required: " + expected)};
      error.fields = {{"/attribute", name}, {"/expected", expected}, {"/actual", actual}};
      return error;
    }
    identity.trace.push_back("rule " + std::to_string(i + 1) + ": " + name + " '" + it->second +
                             "' " + expected);
  }
  const std::string prefix(attributePrefix());
  for (auto& [name, value] : attributes) {
    Attribute a;
    a.value = std::move(value);
    a.verified = true;
    a.source = name_;
    identity.attributes.insert_or_assign(prefix + "." + name, std::move(a));
  }
  return identity;
}

Result<VerifiedIdentity> TrustProvider::verifyDocument(const Evidence&, SystemTime) const {
  return fail(ErrorCode::kInternal, "trust provider " + name_ + " (" + type_ +
                                        ") does not verify documents; it reads " +
                                        std::string(evidenceKindName(evidenceKind())));
}

Result<void> TrustProvider::configure(const nlohmann::json&) {
  return {};
}

Result<std::vector<std::pair<std::string, std::string>>> TrustProvider::attributesOf(
    const nlohmann::json&) const {
  return fail(ErrorCode::kInternal,
              "trust provider " + name_ + " (" + type_ + ") does not verify tokens");
}

Result<std::vector<std::pair<std::string, std::string>>> TrustProvider::attributesOfClaims(
    const jose::LazyJson& claims) const {
  return attributesOf(claims.get());
}

std::string_view evidenceKindName(EvidenceKind kind) noexcept {
  switch (kind) {
    case EvidenceKind::kToken:
      return "tokens";
    case EvidenceKind::kAwsGetCallerIdentity:
      return "awsGetCallerIdentity";
    case EvidenceKind::kAwsInstanceIdentity:
      return "awsInstanceIdentity";
    case EvidenceKind::kAzureAttested:
      return "azureAttestedDocument";
  }
  return "tokens";
}

Result<std::unique_ptr<const TrustProvider>> compileTrustProvider(
    const model::ConfigObject& object) {
  const auto& spec = object.spec;
  const std::string type = spec.value("type", "");
  std::unique_ptr<TrustProvider> provider = makeTrustProvider(object.metadata.name, type);
  if (!provider) {
    return fail(ErrorCode::kInvalidArgument,
                "TrustProvider/" + object.metadata.name + ": type '" + type + "' is not supported");
  }
  auto rules = compileRules(spec);
  if (!rules) {
    return Error{rules.error().code,
                 "TrustProvider/" + object.metadata.name + ": " + rules.error().message};
  }
  provider->rules_ = std::move(*rules);
  if (auto configured = provider->configure(spec); !configured) {
    return Error{configured.error().code,
                 "TrustProvider/" + object.metadata.name + ": " + configured.error().message};
  }
  if (provider->evidenceKind() != EvidenceKind::kToken) {
    return std::unique_ptr<const TrustProvider>(std::move(provider));
  }
  provider->keys_.issuer = spec.value("issuer", std::string(defaultIssuer(type)));
  if (provider->keys_.issuer.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "TrustProvider/" + object.metadata.name + ": /spec/issuer is required");
  }
  if (spec.contains("jwksUri")) {
    provider->keys_.jwksUri = spec["jwksUri"].get<std::string>();
  }
  if (spec.contains("jwks") &&
      spec["jwks"].get<std::string>().find("-----BEGIN") != std::string::npos) {
    TESSERA_ASSIGN_OR_RETURN(provider->pemKeys_, pemPublicKeys(spec["jwks"].get<std::string>()));
    nlohmann::json jwks = {{"keys", provider->pemKeys_}};
    provider->keys_.inlineJwks = jwks.dump();
  } else if (spec.contains("jwks")) {
    provider->keys_.inlineJwks = spec["jwks"].get<std::string>();
    if (auto parsed = jose::Jwks::parse(*provider->keys_.inlineJwks); !parsed) {
      return fail(ErrorCode::kInvalidArgument, "TrustProvider/" + object.metadata.name +
                                                   ": /spec/jwks: " + parsed.error().message);
    }
  }
  for (const auto& a : spec.value("audiences", nlohmann::json::array())) {
    provider->audiences_.push_back(a.get<std::string>());
  }
  return std::unique_ptr<const TrustProvider>(std::move(provider));
}

}  // namespace tessera::trust
