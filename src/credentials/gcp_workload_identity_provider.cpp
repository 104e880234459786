// CredentialProvider type "gcp-workload-identity": a Google Cloud access token through workload
// identity federation. The hub signs a short subject token (iss = the hub issuer, sub = the client
// workload, aud = the pool provider, RS256) that a workload identity pool provider for the hub
// trusts; Google STS exchanges it (RFC 8693) for a federated access token, and, when a service
// account is named, IAM Credentials generateAccessToken turns that into the service account's
// token. No Google key is stored anywhere.
#include "credentials/gcp_sts_wire.hpp"
#include "credentials/provider_types.hpp"
#include "credentials/upstream_call.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 at -O2: Boost.Asio coroutine frames' sized delete reported as mismatched (false
// positive; see hub/access_service.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::credentials {

namespace {
// The subject token only has to reach STS: a few minutes of life is plenty.
constexpr Seconds kSubjectTokenLifetime{300};

class GcpWorkloadIdentityProvider final : public CredentialProvider {
 public:
  explicit GcpWorkloadIdentityProvider(std::string name)
      : CredentialProvider(std::move(name), "gcp-workload-identity") {}

  boost::asio::awaitable<Result<Credential>> issue(GrantRequest request) const override {
    // The client workload is what the hub vouches for: google.subject, which the service
    // account's IAM binding names (principal://.../subject/<workload>).
    auto token =
        signAsHub(gcpSubjectTokenClaims(services_->issuer, workloadSubject(request),
                                        subjectTokenAudience_, request.now, kSubjectTokenLifetime),
                  "the subject token");
    if (!token) {
      co_return token.error();
    }
    GcpStsExchangeRequest exchange;
    exchange.endpoint = endpoint_;
    exchange.audience = providerName_;
    exchange.subjectToken = std::move(*token);
    exchange.scopes = scopes_;
    auto built = buildGcpStsExchange(exchange);
    if (!built) {
      co_return built.error();
    }
    auto federated = co_await callUpstream<OAuthToken>(*services_->http, "Google STS",
                                                       std::move(*built), readGcpStsResponse);
    if (!federated) {
      const Error& last = federated.error();
      co_return Error{last.code,
                      "token exchange at Google STS for " + providerName_ + ": " + last.message};
    }
    if (serviceAccount_.empty()) {
      co_return accessTokenCredential("gcp", *federated, request.now);
    }
    GenerateAccessTokenRequest impersonation;
    impersonation.endpointBase = iamCredentialsEndpoint_;
    impersonation.serviceAccount = serviceAccount_;
    impersonation.federatedToken = federated->accessToken;
    impersonation.scopes = scopes_;
    impersonation.lifetime = lifetime_;
    auto generate = buildGenerateAccessToken(impersonation);
    if (!generate) {
      co_return generate.error();
    }
    auto impersonated = co_await callUpstream<GcpAccessToken>(
        *services_->http, "IAM Credentials", std::move(*generate), readGenerateAccessTokenResponse);
    if (!impersonated) {
      const Error& last = impersonated.error();
      co_return Error{last.code, "generateAccessToken for service account " + serviceAccount_ +
                                     ": " + last.message};
    }
    co_return serviceAccountCredential(*impersonated, request.now);
  }

 private:
  Result<void> configure(const nlohmann::json& spec) override {
    const auto project = spec.at("projectNumber").get<std::string>();
    const auto pool = spec.at("poolId").get<std::string>();
    const auto providerId = spec.at("providerId").get<std::string>();
    auto provider = gcpWorkloadIdentityProviderName(project, pool, providerId);
    if (!provider) {
      // The codec judges all three at once; name the one at fault ("abcd" is a valid id).
      std::string field = "providerId";
      if (!gcpWorkloadIdentityProviderName(project, "abcd", "abcd")) {
        field = "projectNumber";
      } else if (!gcpWorkloadIdentityProviderName(project, pool, "abcd")) {
        field = "poolId";
      }
      return Error{ErrorCode::kConfigInvalid, "/spec/" + field + ": " + provider.error().message};
    }
    providerName_ = std::move(*provider);
    subjectTokenAudience_ = spec.value("audience", providerName_);
    endpoint_ = spec.value("endpoint", std::string(kGcpStsEndpoint));
    if (auto usable = checkEndpoint("Google STS", endpoint_); !usable) {
      return Error{ErrorCode::kConfigInvalid, "/spec/endpoint: " + usable.error().message};
    }
    iamCredentialsEndpoint_ =
        spec.value("iamCredentialsEndpoint", std::string(kGcpIamCredentialsBase));
    if (auto usable = checkEndpoint("IAM Credentials", iamCredentialsEndpoint_); !usable) {
      return Error{ErrorCode::kConfigInvalid,
                   "/spec/iamCredentialsEndpoint: " + usable.error().message};
    }
    serviceAccount_ = spec.value("serviceAccount", std::string());
    lifetime_ = Seconds(spec.value("lifetimeSeconds", kGcpMaxAccessTokenLifetime.count()));
    if (lifetime_ < Seconds(1) || lifetime_ > kGcpMaxAccessTokenLifetime) {
      return Error{ErrorCode::kConfigInvalid, "/spec/lifetimeSeconds: must be within 1..3600"};
    }
    if (spec.contains("lifetimeSeconds") && serviceAccount_.empty()) {
      return Error{ErrorCode::kConfigInvalid,
                   "/spec/lifetimeSeconds: applies only with serviceAccount (Google STS decides "
                   "the federated token's lifetime)"};
    }
    scopes_ = spec.value("scopes", std::vector<std::string>{std::string(kGcpCloudPlatformScope)});
    if (scopes_.empty()) {
      return Error{ErrorCode::kConfigInvalid, "/spec/scopes: must name at least one scope"};
    }
    return {};
  }

  Credential serviceAccountCredential(const GcpAccessToken& token, SystemTime now) const {
    Credential credential;
    credential.type = "gcp";
    credential.fields.emplace("accessToken", token.accessToken);
    credential.fields.emplace("tokenType", "Bearer");
    credential.fields.emplace("serviceAccount", serviceAccount_);
    credential.issuedAt = now;
    credential.expiresAt = token.expireTime;
    return credential;
  }

  std::string providerName_;
  std::string subjectTokenAudience_;
  std::string endpoint_;
  std::string iamCredentialsEndpoint_;
  std::string serviceAccount_;
  Seconds lifetime_{kGcpMaxAccessTokenLifetime};
  std::vector<std::string> scopes_;
};
}  // namespace

std::unique_ptr<CredentialProvider> makeGcpWorkloadIdentityProvider(std::string name) {
  return std::make_unique<GcpWorkloadIdentityProvider>(std::move(name));
}

}  // namespace tessera::credentials
