// CredentialProvider type "oauth-client-credentials": an access token from an OAuth 2.0
// authorization server by the client credentials grant (RFC 6749 4.4). The client authenticates
// with its secret (client_secret_basic or client_secret_post; the secret is sealed at rest and
// arrives unsealed in the snapshot) or with private_key_jwt (RFC 7523): a short assertion the
// hub signs (iss = sub = clientId, aud = the token endpoint), which the server checks against the
// hub's JWKS, so that no client secret is stored at all. The token endpoint is configured, or
// discovered once from <issuer>/.well-known/openid-configuration.
#include <algorithm>
#include <array>
#include <mutex>

#include <boost/asio/use_awaitable.hpp>

#include "credentials/oauth_wire.hpp"
#include "credentials/provider_types.hpp"
#include "credentials/upstream_call.hpp"
#include "credentials/upstream_response.hpp"
#include "crypto/random.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // see aws_sts_provider.cpp
#endif

namespace tessera::credentials {

namespace {
constexpr std::string_view kService = "OAuth token endpoint";

Result<OAuthToken> readOAuthTokenResponse(int httpStatus, std::string_view body) {
  return readTokenResponse(kService, httpStatus, body);
}
constexpr std::string_view kDiscovery = "OAuth discovery";
// When the server does not say how long its token lives, edges ask again after this.
constexpr Seconds kDefaultTokenLifetime{300};
// The assertion only has to reach the token endpoint.
constexpr Seconds kAssertionLifetime{120};
constexpr std::size_t kJtiBytes = 16;
// Parameters with a member of their own: extraParameters may not name them either.
constexpr std::array kDedicatedParameters = {"audience", "resource"};

class OAuthClientCredentialsProvider final : public CredentialProvider {
 public:
  explicit OAuthClientCredentialsProvider(std::string name)
      : CredentialProvider(std::move(name), "oauth-client-credentials") {}

  boost::asio::awaitable<Result<Credential>> issue(GrantRequest request) const override {
    auto endpoint = co_await tokenEndpoint();
    if (!endpoint) {
      co_return endpoint.error();
    }
    // A fresh assertion (and jti) per attempt: a server may refuse a repeated jti.
    std::function<Result<net::ClientRequest>()> build = [this, url = *endpoint, now = request.now] {
      return buildRequest(url, now);
    };
    auto token = co_await callUpstream<OAuthToken>(*services_->http, std::string(kService),
                                                   std::move(build), &readOAuthTokenResponse);
    if (token) {
      co_return toCredential(*token, request.now);
    }
    const Error last = token.error();
    co_return Error{last.code, "client credentials grant for client " + request_.clientId + " (" +
                                   std::string(oauthClientAuthName(request_.auth)) +
                                   "): " + last.message};
  }

 private:
  Result<void> configure(const nlohmann::json& spec) override {
    const auto invalid = [](const std::string& member, const std::string& why) {
      return Error{ErrorCode::kConfigInvalid, "/spec/" + member + ": " + why};
    };
    const auto endpoint = spec.find("tokenEndpoint");
    const auto issuer = spec.find("issuer");
    if ((endpoint == spec.end()) == (issuer == spec.end())) {
      return invalid("tokenEndpoint", "give exactly one of tokenEndpoint and issuer");
    }
    const std::string member = endpoint != spec.end() ? "tokenEndpoint" : "issuer";
    const std::string url = spec.at(member).get<std::string>();
    if (auto usable = checkEndpoint(member == "issuer" ? kDiscovery : kService, url); !usable) {
      return invalid(member, usable.error().message);
    }
    if (member == "issuer") {
      issuer_ = url;
    } else {
      request_.tokenEndpoint = url;
    }
    request_.clientId = spec.at("clientId").get<std::string>();
    const std::string method = spec.value("clientAuth", std::string("client_secret_basic"));
    const auto auth = parseOAuthClientAuth(method);
    if (!auth) {
      return invalid("clientAuth", "unknown client authentication " + method);
    }
    request_.auth = *auth;
    const auto secret = spec.find("clientSecret");
    if (request_.auth == OAuthClientAuth::kPrivateKeyJwt) {
      if (secret != spec.end()) {
        return invalid("clientSecret", "does not apply to private_key_jwt");
      }
      algorithm_ = spec.value("assertionAlgorithm", std::string("RS256"));
      if (algorithm_ != "RS256" && algorithm_ != "ES256") {
        return invalid("assertionAlgorithm", "must be RS256 or ES256");
      }
    } else {
      // Missing only when it could not be unsealed (see model/secret_sealing.hpp): fail closed.
      if (secret == spec.end() || !secret->is_string() ||
          secret->get_ref<const std::string&>().empty()) {
        return invalid("clientSecret", "is not available for " + method +
                                           " (it could not be unsealed; apply it again)");
      }
      request_.clientSecret = secret->get<std::string>();
    }
    if (const auto scopes = spec.find("scopes"); scopes != spec.end()) {
      request_.scopes = scopes->get<std::vector<std::string>>();
    }
    for (const char* dedicated : kDedicatedParameters) {
      if (const auto value = spec.find(dedicated); value != spec.end()) {
        request_.extraParameters.emplace_back(dedicated, value->get<std::string>());
      }
    }
    if (const auto extra = spec.find("extraParameters"); extra != spec.end()) {
      for (const auto& [name, value] : extra->items()) {
        if (isClientCredentialsParameter(name) ||
            std::find(kDedicatedParameters.begin(), kDedicatedParameters.end(), name) !=
                kDedicatedParameters.end()) {
          return invalid("extraParameters/" + name,
                         "is reserved: the grant sets it, or it has a member of its own");
        }
        request_.extraParameters.emplace_back(name, value.get<std::string>());
      }
    }
    return {};
  }

  // The configured endpoint, or the one discovered from the issuer (remembered once found).
  boost::asio::awaitable<Result<std::string>> tokenEndpoint() const {
    if (!request_.tokenEndpoint.empty()) {
      co_return request_.tokenEndpoint;
    }
    {
      const std::lock_guard lock(discoveredMutex_);
      if (discovered_) {
        co_return *discovered_;
      }
    }
    const std::string url =
        (issuer_.ends_with('/') ? issuer_.substr(0, issuer_.size() - 1) : issuer_) +
        "/.well-known/openid-configuration";
    auto get = net::ClientRequest::get(url).withMaxResponseBytes(kMaxUpstreamBodyBytes);
    get.withHeader("Accept", "application/json");
    auto response = co_await services_->http->request(std::move(get));
    if (!response) {
      co_return Error{ErrorCode::kUnavailable,
                      std::string(kDiscovery) + " at " + url +
                          " could not be reached: " + response.error().message};
    }
    auto found = readDiscovery(url, response->status, response->body);
    if (found) {
      const std::lock_guard lock(discoveredMutex_);
      discovered_ = *found;
    }
    co_return found;
  }

  // token_endpoint of a discovery document whose issuer is the configured one.
  Result<std::string> readDiscovery(const std::string& url, int status,
                                    std::string_view body) const {
    if (status != 200) {
      auto error = unexplainedStatus(kDiscovery, status);
      return Error{error.code, error.message + " from " + url};
    }
    TESSERA_DECLARE_OR_RETURN(auto document, parseJsonObject(kDiscovery, body));
    TESSERA_DECLARE_OR_RETURN(auto issuer, requiredString(kDiscovery, document, "issuer", 2048));
    if (issuer != issuer_) {
      return Error{ErrorCode::kConfigInvalid, std::string(kDiscovery) + " at " + url +
                                                  " names issuer " + quoteUpstream(issuer, 200) +
                                                  ", not the configured " + issuer_};
    }
    TESSERA_DECLARE_OR_RETURN(auto endpoint,
                              requiredString(kDiscovery, document, "token_endpoint", 2048));
    TESSERA_RETURN_IF_ERROR(checkEndpoint(kService, endpoint));
    return endpoint;
  }

  Result<net::ClientRequest> buildRequest(const std::string& endpoint, SystemTime now) const {
    ClientCredentialsRequest call = request_;
    call.tokenEndpoint = endpoint;
    if (call.auth == OAuthClientAuth::kPrivateKeyJwt) {
      TESSERA_DECLARE_OR_RETURN(auto claims, clientAssertionClaims(call.clientId, endpoint,
                                                                   crypto::randomToken(kJtiBytes),
                                                                   now, kAssertionLifetime));
      auto assertion = services_->sign(algorithm_, claims);
      if (!assertion) {
        return Error{assertion.error().code,
                     "the hub could not sign the client assertion: " + assertion.error().message};
      }
      call.clientAssertion = std::move(*assertion);
    }
    return buildClientCredentialsRequest(call);
  }

  static Credential toCredential(const OAuthToken& token, SystemTime now) {
    Credential credential;
    credential.type = "oauth";
    credential.fields.emplace("accessToken", token.accessToken);
    credential.fields.emplace("tokenType", token.tokenType);
    if (!token.scope.empty()) {
      credential.fields.emplace("scope", token.scope);
    }
    credential.issuedAt = now;
    credential.expiresAt = token.expiresAt(now).value_or(now + kDefaultTokenLifetime);
    return credential;
  }

  ClientCredentialsRequest request_;  // all but the endpoint (when discovered) and assertion
  std::string issuer_;
  std::string algorithm_ = "RS256";
  mutable std::mutex discoveredMutex_;
  mutable std::optional<std::string> discovered_;
};
}  // namespace

std::unique_ptr<CredentialProvider> makeOAuthClientCredentialsProvider(std::string name) {
  return std::make_unique<OAuthClientCredentialsProvider>(std::move(name));
}

}  // namespace tessera::credentials
