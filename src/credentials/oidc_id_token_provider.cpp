// CredentialProvider type "oidc-id-token": a JWT the hub signs as its issuer, for targets that
// trust the hub's discovery document and JWKS (internal APIs, cloud federation by hand).
#include "common/time_format.hpp"
#include "credentials/attribute_template.hpp"
#include "credentials/provider_types.hpp"
#include "crypto/random.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 at -O2: Boost.Asio coroutine frames' sized delete reported as mismatched (false
// positive; see hub/access_service.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::credentials {

namespace {
// Short by default: the grant cache refreshes it at 80% of its life, and a leaked token is worth
// little for long.
constexpr std::int64_t kDefaultLifetimeSeconds = 900;
// RS256 by default: every relying party (AWS STS, Entra) accepts it; ES256 is opt-in.
constexpr std::string_view kDefaultAlgorithm = "RS256";
// Claims the hub sets itself; a custom claim may not replace them.
constexpr std::string_view kReservedClaims[] = {"iss", "sub", "aud", "iat", "nbf", "exp", "jti"};

class OidcIdTokenProvider final : public CredentialProvider {
 public:
  explicit OidcIdTokenProvider(std::string name)
      : CredentialProvider(std::move(name), "oidc-id-token") {}

  boost::asio::awaitable<Result<Credential>> issue(GrantRequest request) const override {
    co_return sign(request);
  }

 private:
  Result<void> configure(const nlohmann::json& spec) override {
    audience_ = spec.at("audience").get<std::string>();
    TESSERA_ASSIGN_OR_RETURN(
        subject_, parseMember("/spec/subject", spec.value("subject", "${tessera.clientWorkload}")));
    lifetime_ = std::chrono::seconds(spec.value("lifetimeSeconds", kDefaultLifetimeSeconds));
    algorithm_ = spec.value("algorithm", std::string(kDefaultAlgorithm));
    if (const auto claims = spec.find("claims"); claims != spec.end()) {
      for (const auto& [name, value] : claims->items()) {
        for (auto reserved : kReservedClaims) {
          if (name == reserved) {
            return fail(ErrorCode::kInvalidArgument,
                        "/spec/claims/" + name + ": the hub sets " + name + " itself");
          }
        }
        TESSERA_DECLARE_OR_RETURN(auto parsed,
                                  parseMember("/spec/claims/" + name, value.get<std::string>()));
        claims_.emplace_back(name, std::move(parsed));
      }
    }
    return {};
  }

  static Result<AttributeTemplate> parseMember(const std::string& pointer, std::string_view text) {
    auto parsed = AttributeTemplate::parse(text);
    if (!parsed) {
      return Error{ErrorCode::kInvalidArgument, pointer + ": " + parsed.error().message};
    }
    return parsed;
  }

  Result<Credential> sign(const GrantRequest& request) const {
    auto subject = subject_.expand(request.attributes);
    if (!subject) {
      return Error{subject.error().code, "subject: " + subject.error().message};
    }
    if (subject->empty()) {
      return fail(ErrorCode::kInvalidArgument, "subject: the template expands to nothing");
    }
    const std::int64_t iat = toUnixSeconds(request.now);
    nlohmann::json claims = nlohmann::json::object();
    for (const auto& [name, value] : claims_) {
      auto expanded = value.expand(request.attributes);
      if (!expanded) {
        return Error{expanded.error().code, "claim " + name + ": " + expanded.error().message};
      }
      claims[name] = std::move(*expanded);
    }
    claims["iss"] = services_->issuer;
    claims["sub"] = std::move(*subject);
    claims["aud"] = audience_;
    claims["iat"] = iat;
    claims["nbf"] = iat;
    claims["exp"] = iat + lifetime_.count();
    claims["jti"] = crypto::randomToken(16);
    auto token = services_->sign(algorithm_, claims);
    if (!token) {
      return Error{token.error().code,
                   "the hub could not sign an " + algorithm_ + " token: " + token.error().message};
    }
    Credential credential;
    credential.type = "id-token";
    credential.fields.emplace("token", std::move(*token));
    credential.issuedAt = fromUnixSeconds(iat);
    credential.expiresAt = fromUnixSeconds(iat + lifetime_.count());
    return credential;
  }

  std::string audience_;
  AttributeTemplate subject_;
  std::chrono::seconds lifetime_{kDefaultLifetimeSeconds};
  std::string algorithm_;
  std::vector<std::pair<std::string, AttributeTemplate>> claims_;
};
}  // namespace

std::unique_ptr<CredentialProvider> makeOidcIdTokenProvider(std::string name) {
  return std::make_unique<OidcIdTokenProvider>(std::move(name));
}

}  // namespace tessera::credentials
