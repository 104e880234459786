// The wire format of Microsoft Entra ID workload identity federation: the client credentials
// grant with a federated client_assertion (a JWT the hub signs with aud api://AzureADTokenExchange
// that an app's federated identity credential trusts), its answer, and Entra's AADSTS error
// bodies turned into clear messages. Pure: no I/O. Called by the Entra credential provider.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "credentials/oauth_wire.hpp"
#include "net/http_client.hpp"

namespace tessera::credentials {

inline constexpr std::string_view kEntraAuthorityHost = "https://login.microsoftonline.com";
// The audience Entra recommends for federated identity credentials.
inline constexpr std::string_view kEntraTokenExchangeAudience = "api://AzureADTokenExchange";
inline constexpr Seconds kEntraMaxAssertionLifetime{3600};

// The claims of the hub-signed client assertion: iss = the hub issuer (matched exactly, trailing
// '/' included, against the FIC's issuer), sub = the workload identity (matched exactly against
// the FIC's subject; at most 600 characters), aud = api://AzureADTokenExchange unless `audience`
// says otherwise, jti, integer iat/nbf/exp; lifetime 1 s..1 h.
Result<nlohmann::json> entraAssertionClaims(
    std::string_view issuer, std::string_view subject, std::string_view jti, SystemTime now,
    Seconds lifetime = Seconds(300), std::string_view audience = kEntraTokenExchangeAudience);

struct EntraTokenRequest {
  std::string authorityHost{kEntraAuthorityHost};  // AZURE_AUTHORITY_HOST
  std::string tenant{};                            // GUID or domain
  std::string clientId{};                          // the app (client) id
  std::string scope{};                             // "<resource app id URI>/.default"
  std::string clientAssertion{};                   // signed over entraAssertionClaims()
};

// POST <authority>/<tenant>/oauth2/v2.0/token with the form body client_id, scope,
// grant_type=client_credentials, client_assertion_type (jwt-bearer), client_assertion.
// kConfigInvalid for a tenant that is not a GUID or domain name, or a scope that does not end
// "/.default" (the client credentials grant takes only .default scopes); kInvalidArgument for an
// empty client id or assertion.
Result<net::ClientRequest> buildEntraTokenRequest(const EntraTokenRequest& request);

// Entra's error body: RFC 6749 fields plus error_codes (AADSTS numbers), trace and correlation ids.
struct EntraError {
  std::string error{};
  std::string description{};  // its first line ("AADSTS70021: No matching ...")
  std::vector<std::int64_t> codes{};
  std::string traceId{};
  std::string correlationId{};
  std::string timestamp{};
};

// kHttpUpstream unless the body is a JSON object with a string "error".
Result<EntraError> parseEntraError(std::string_view body);

// The Error for an Entra refusal, by its first AADSTS code: 70021/700211/700212/700213 (no
// federated identity credential matches issuer, subject or audience), 700024 (assertion outside
// its validity window), 50027 (malformed JWT), 50013 and 700027 (signature), 5002738 (signing
// algorithm), 700016 (unknown app), 90002 (unknown tenant), 70011 and 1002012 (invalid scope),
// 500011 (unknown resource), 90061 (Entra could not fetch the issuer's discovery
// document or JWKS: retryable); otherwise the OAuth error code decides (classifyOAuthError).
// The message carries the trace and correlation ids Microsoft support asks for.
Error classifyEntraError(int httpStatus, const EntraError& error);

// The whole answer: 200 -> an OAuthToken (token_type, expires_in, access_token); otherwise the
// classified error, or unexplainedStatus() when the body is not one.
Result<OAuthToken> readEntraTokenResponse(int httpStatus, std::string_view body);

}  // namespace tessera::credentials
