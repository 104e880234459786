// CredentialProvider type "azure-entra-federation": a Microsoft Entra ID access token through
// workload identity federation. The hub signs a short client assertion (iss = the hub issuer,
// sub = the client workload, aud = api://AzureADTokenExchange, RS256) that a federated identity
// credential of the Entra app trusts, and presents it in a client credentials grant at the
// tenant's token endpoint. No client secret or certificate is stored anywhere.
#include "credentials/entra_wire.hpp"
#include "credentials/provider_types.hpp"
#include "credentials/upstream_call.hpp"
#include "crypto/random.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 at -O2: Boost.Asio coroutine frames' sized delete reported as mismatched (false
// positive; see hub/access_service.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::credentials {

namespace {
// The assertion only has to reach Entra: a few minutes of life is plenty.
constexpr Seconds kAssertionLifetime{300};

class AzureEntraFederationProvider final : public CredentialProvider {
 public:
  explicit AzureEntraFederationProvider(std::string name)
      : CredentialProvider(std::move(name), "azure-entra-federation") {}

  boost::asio::awaitable<Result<Credential>> issue(GrantRequest request) const override {
    // The client workload is what the hub vouches for, and what the app's federated identity
    // credential names as its subject.
    auto assertion = signAsHub(
        entraAssertionClaims(services_->issuer, workloadSubject(request), crypto::randomToken(16),
                             request.now, kAssertionLifetime, audience_),
        "the client assertion");
    if (!assertion) {
      co_return assertion.error();
    }
    auto built = buildRequest(std::move(*assertion));
    if (!built) {
      co_return built.error();
    }
    auto token = co_await callUpstream<OAuthToken>(*services_->http, "Microsoft Entra ID",
                                                   std::move(*built), readEntraTokenResponse);
    if (!token) {
      const Error& last = token.error();
      co_return Error{last.code, "client credentials grant for app " + clientId_ + " in tenant " +
                                     tenantId_ + ": " + last.message};
    }
    co_return accessTokenCredential("azure", *token, request.now);
  }

 private:
  Result<net::ClientRequest> buildRequest(std::string assertion) const {
    EntraTokenRequest call;
    call.authorityHost = authorityHost_;
    call.tenant = tenantId_;
    call.clientId = clientId_;
    call.scope = scope_;
    call.clientAssertion = std::move(assertion);
    return buildEntraTokenRequest(call);
  }

  Result<void> configure(const nlohmann::json& spec) override {
    authorityHost_ = spec.value("authorityHost", std::string(kEntraAuthorityHost));
    if (auto usable = checkEndpoint("Microsoft Entra ID", authorityHost_); !usable) {
      return Error{ErrorCode::kConfigInvalid, "/spec/authorityHost: " + usable.error().message};
    }
    clientId_ = spec.at("clientId").get<std::string>();
    audience_ = spec.value("audience", std::string(kEntraTokenExchangeAudience));
    // The codec judges tenant and scope when it builds a request: try both now, tenant first.
    tenantId_ = spec.at("tenantId").get<std::string>();
    scope_ = "api://tenant-check/.default";
    if (auto built = buildRequest("assertion"); !built) {
      return Error{ErrorCode::kConfigInvalid, "/spec/tenantId: " + built.error().message};
    }
    scope_ = spec.at("scope").get<std::string>();
    if (auto built = buildRequest("assertion"); !built) {
      return Error{ErrorCode::kConfigInvalid, "/spec/scope: " + built.error().message};
    }
    return {};
  }

  std::string authorityHost_;
  std::string tenantId_;
  std::string clientId_;
  std::string scope_;
  std::string audience_;
};
}  // namespace

std::unique_ptr<CredentialProvider> makeAzureEntraFederationProvider(std::string name) {
  return std::make_unique<AzureEntraFederationProvider>(std::move(name));
}

}  // namespace tessera::credentials
