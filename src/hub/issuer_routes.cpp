#include "hub/issuer_routes.hpp"

#include <algorithm>

namespace tessera::hub {

std::string issuerPathPrefix(const std::string& issuer) {
  const auto scheme = issuer.find("://");
  const auto slash = issuer.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? std::string() : issuer.substr(slash);
}

nlohmann::json discoveryDocument(const std::string& issuer,
                                 const std::vector<std::string>& algorithms) {
  return {
      {"issuer", issuer},
      {"jwks_uri", issuer + "/jwks"},
      {"response_types_supported", {"id_token"}},
      {"subject_types_supported", {"public"}},
      {"id_token_signing_alg_values_supported", algorithms},
      {"claims_supported", {"iss", "sub", "aud", "exp", "iat", "nbf", "jti"}},
      {"scopes_supported", {"openid"}},
      // RFC 8693 token exchange (hub/token_endpoint.hpp): a workload's native token for the
      // credential its access policy grants; the subject token is the only credential.
      {"token_endpoint", issuer + "/token"},
      {"grant_types_supported", {"urn:ietf:params:oauth:grant-type:token-exchange"}},
      {"token_endpoint_auth_methods_supported", {"none"}},
  };
}

void addIssuerRoutes(net::Router& router, const std::string& issuer, const KeyManager& keys,
                     const Clock& clock) {
  const std::string prefix = issuerPathPrefix(issuer);
  const std::string discovery = discoveryDocument(issuer, keys.policy().algorithms).dump();
  router.get(prefix + "/.well-known/openid-configuration", [discovery](net::Request&) {
    net::Response r = net::textResponse(200, discovery, "application/json");
    r.headers.set("Cache-Control", "public, max-age=3600");
    r.headers.set("Access-Control-Allow-Origin", "*");
    return r;
  });
  // Relying parties may cache the JWKS; half the prepublish window (at most an hour) guarantees
  // they refetch and see a next key before it signs.
  const auto prepublish =
      std::chrono::duration_cast<std::chrono::seconds>(keys.policy().prepublish).count();
  const std::int64_t maxAge = std::clamp<std::int64_t>(prepublish / 2, 0, 3600);
  router.get(prefix + "/jwks", [&keys, &clock, maxAge](net::Request&) {
    const auto snapshot = keys.snapshot();
    net::Response r = net::textResponse(200, snapshot->jwks(toUnixSeconds(clock.now())).dump(),
                                        "application/jwk-set+json");
    r.headers.set("Cache-Control", "public, max-age=" + std::to_string(maxAge));
    r.headers.set("Access-Control-Allow-Origin", "*");
    return r;
  });
}

}  // namespace tessera::hub
