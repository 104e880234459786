// The wire format of the OAuth 2.0 client credentials grant (RFC 6749 section 4.4) with the three
// client authentication methods the OAuth credential provider supports (client_secret_basic,
// client_secret_post, private_key_jwt per RFC 7523 / OIDC Core 9), and the reading of token
// answers and RFC 6749 section 5.2 error bodies. Pure: no I/O. Called by the OAuth credential
// provider and, for answers and error bodies, by gcp_sts_wire and entra_wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "net/http_client.hpp"

namespace tessera::credentials {

inline constexpr std::string_view kJwtBearerClientAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
// OIDC Core 9 asks for a short-lived assertion; five minutes is the usual ceiling.
inline constexpr Seconds kMaxClientAssertionLifetime{300};
// Access tokens larger than this are refused (Google's are at most 12288 bytes, Entra's a few KiB).
inline constexpr std::size_t kMaxAccessTokenBytes = 32 * 1024;

enum class OAuthClientAuth : std::uint8_t { kClientSecretBasic, kClientSecretPost, kPrivateKeyJwt };

// "client_secret_basic", "client_secret_post", "private_key_jwt" (the registration names).
std::string_view oauthClientAuthName(OAuthClientAuth method) noexcept;
std::optional<OAuthClientAuth> parseOAuthClientAuth(std::string_view name) noexcept;

struct ClientCredentialsRequest {
  std::string tokenEndpoint{};
  std::string clientId{};
  OAuthClientAuth auth = OAuthClientAuth::kClientSecretBasic;
  std::string clientSecret{};     // client_secret_basic and client_secret_post
  std::string clientAssertion{};  // private_key_jwt: a JWT signed over clientAssertionClaims()
  std::vector<std::string> scopes{};
  // Further form parameters (audience, resource...); may not repeat the grant's own parameters.
  net::QueryParams extraParameters{};
};

// POST <tokenEndpoint>, form body grant_type=client_credentials[&scope=a b][&extras]; plus
// client_secret_basic: Authorization: Basic base64(form(client_id) ":" form(client_secret)) as
// RFC 6749 2.3.1 requires; client_secret_post: client_id and client_secret in the body;
// private_key_jwt: client_id, client_assertion_type and client_assertion in the body.
// Accept: application/json. kInvalidArgument for a missing id, secret or assertion, a scope
// with a space or a '"' or '\', or an extra parameter that names one of the grant's own
// (grant_type, scope, client_id, client_secret, client_assertion, client_assertion_type);
// kConfigInvalid for an endpoint that is neither https nor loopback http.
Result<net::ClientRequest> buildClientCredentialsRequest(const ClientCredentialsRequest& request);

// True for a form parameter the grant sets itself (or an empty name): what extraParameters may not
// name.
bool isClientCredentialsParameter(std::string_view name) noexcept;

// "Basic " + base64(form-encoded id ":" form-encoded secret): RFC 6749 2.3.1 encodes both with
// application/x-www-form-urlencoded before base64, so "a:b" and "a b" survive.
std::string clientSecretBasicAuthorization(std::string_view clientId, std::string_view secret);

// RFC 7523 3 / OIDC private_key_jwt claims: iss = sub = client_id, aud = the token endpoint,
// jti (required; e.g. crypto::randomToken(16)), iat = nbf = now, exp = now + lifetime (1-300 s).
Result<nlohmann::json> clientAssertionClaims(std::string_view clientId,
                                             std::string_view tokenEndpoint, std::string_view jti,
                                             SystemTime now,
                                             Seconds lifetime = kMaxClientAssertionLifetime);

// A token endpoint's successful answer (RFC 6749 5.1; RFC 8693 2.2.1 adds issued_token_type).
struct OAuthToken {
  std::string accessToken{};
  std::string tokenType{};
  std::optional<std::int64_t> expiresIn{};  // seconds
  std::string scope{};
  std::string issuedTokenType{};
  // now + expiresIn, when the answer gave it.
  std::optional<SystemTime> expiresAt(SystemTime now) const;
};

// Reads a 200 answer of `service`: access_token (required, at most kMaxAccessTokenBytes),
// token_type (required), expires_in (a non-negative integer, or a string of digits as some
// servers send), scope, issued_token_type. kHttpUpstream otherwise.
Result<OAuthToken> parseTokenResponse(std::string_view service, std::string_view body);

// RFC 6749 5.2: {"error","error_description","error_uri"}.
struct OAuthError {
  std::string error{};
  std::string description{};
  std::string uri{};
};

// kHttpUpstream unless the body is a JSON object with a string "error".
Result<OAuthError> parseOAuthError(std::string_view service, std::string_view body);

// The Error for an RFC 6749 error code (conventions in upstream_response.hpp): invalid_client,
// invalid_grant, unauthorized_client, access_denied -> kPermissionDenied; invalid_request,
// invalid_scope, invalid_target, unsupported_grant_type -> kConfigInvalid; server_error,
// temporarily_unavailable and any 5xx -> kUnavailable; 429 or slow_down -> kTooManyRequests.
Error classifyOAuthError(std::string_view service, int httpStatus, const OAuthError& error);

// The whole answer: 200 -> parseTokenResponse; otherwise the classified error body, or
// unexplainedStatus() when the body is not one.
Result<OAuthToken> readTokenResponse(std::string_view service, int httpStatus,
                                     std::string_view body);

}  // namespace tessera::credentials
