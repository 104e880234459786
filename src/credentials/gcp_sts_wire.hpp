// The wire format of Google Cloud workload identity federation: the RFC 8693 token exchange at
// Google STS (sts.googleapis.com/v1/token) with a workload identity pool provider as audience,
// and service account impersonation through IAM Credentials generateAccessToken, with Google's
// answers and error bodies. Pure: no I/O. Called by the GCP credential provider and its tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "credentials/oauth_wire.hpp"
#include "net/http_client.hpp"

namespace tessera::credentials {

inline constexpr std::string_view kGcpStsEndpoint = "https://sts.googleapis.com/v1/token";
inline constexpr std::string_view kGcpIamCredentialsBase = "https://iamcredentials.googleapis.com";
inline constexpr std::string_view kGcpCloudPlatformScope =
    "https://www.googleapis.com/auth/cloud-platform";
inline constexpr std::string_view kTokenExchangeGrantType =
    "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr std::string_view kAccessTokenType =
    "urn:ietf:params:oauth:token-type:access_token";
inline constexpr std::string_view kJwtTokenType = "urn:ietf:params:oauth:token-type:jwt";
inline constexpr std::string_view kIdTokenType = "urn:ietf:params:oauth:token-type:id_token";
// generateAccessToken's lifetime ceiling without the org policy that extends it.
inline constexpr Seconds kGcpMaxAccessTokenLifetime{3600};
// Google STS refuses subject tokens whose exp is 48 h or more after iat.
inline constexpr Seconds kGcpMaxSubjectTokenLifetime{48 * 3600 - 1};

// "//iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/
// <provider>". kConfigInvalid unless the project number is digits and the pool and provider ids
// are 4-32 characters of [a-z0-9-] (Google's id rules).
Result<std::string> gcpWorkloadIdentityProviderName(std::string_view projectNumber,
                                                    std::string_view poolId,
                                                    std::string_view providerId);

// The audience Google accepts by default in the subject token: the provider name with https:
// in front ("https://iam.googleapis.com/projects/..."), so `providerName` must start "//".
std::string gcpDefaultSubjectTokenAudience(std::string_view providerName);

// The claims of the subject token the hub signs: iss = the hub issuer, sub = the workload
// identity (google.subject is at most 127 bytes when mapped from sub, so longer ones are
// refused), aud = `audience`, integer iat/nbf/exp, lifetime under 48 h.
Result<nlohmann::json> gcpSubjectTokenClaims(std::string_view issuer, std::string_view subject,
                                             std::string_view audience, SystemTime now,
                                             Seconds lifetime = Seconds(300));

struct GcpStsExchangeRequest {
  std::string endpoint{kGcpStsEndpoint};
  std::string audience{};  // "//iam.googleapis.com/projects/.../providers/..." (or workforce pools)
  std::string subjectToken{};
  std::string subjectTokenType{kJwtTokenType};
  std::vector<std::string> scopes{std::string(kGcpCloudPlatformScope)};
};

// POST <endpoint>, form body grant_type, audience, scope, requested_token_type (access_token),
// subject_token_type, subject_token; no Authorization header (Google warns it can make the call
// fail). kConfigInvalid for an audience not under "//iam.googleapis.com/" or a bad endpoint;
// kInvalidArgument for an empty subject token or no scope.
Result<net::ClientRequest> buildGcpStsExchange(const GcpStsExchangeRequest& request);

// The STS answer: 200 -> an OAuthToken (access_token, issued_token_type, token_type,
// expires_in); else the RFC 6749 error body classified (invalid_grant: the subject token was
// refused; invalid_target: pool or provider unknown or disabled...).
Result<OAuthToken> readGcpStsResponse(int httpStatus, std::string_view body);

struct GenerateAccessTokenRequest {
  std::string endpointBase{kGcpIamCredentialsBase};
  std::string serviceAccount{};  // email or unique id
  std::string federatedToken{};  // the STS access token, sent as Bearer
  std::vector<std::string> scopes{std::string(kGcpCloudPlatformScope)};
  Seconds lifetime{3600};
  std::vector<std::string> delegates{};  // "projects/-/serviceAccounts/<email>"
};

// POST <base>/v1/projects/-/serviceAccounts/<sa>:generateAccessToken with Authorization: Bearer
// and the JSON body {"scope":[...],"lifetime":"<n>s"[,"delegates":[...]]}. kInvalidArgument for a
// lifetime outside 1..3600 s, no scope, an empty token or a service account with characters
// other than [A-Za-z0-9@._-].
Result<net::ClientRequest> buildGenerateAccessToken(const GenerateAccessTokenRequest& request);

struct GcpAccessToken {
  std::string accessToken{};
  SystemTime expireTime{};
};

// Google's API error body: {"error":{"code":403,"message":"...","status":"PERMISSION_DENIED",
// "details":[{"@type":"...ErrorInfo","reason":"IAM_PERMISSION_DENIED",...}]}}.
struct GoogleApiError {
  int code = 0;
  std::string message{};
  std::string status{};
  std::string reason{};  // from the first ErrorInfo detail, when there is one
};

// kHttpUpstream unless the body is such an object.
Result<GoogleApiError> parseGoogleApiError(std::string_view body);

// PERMISSION_DENIED, UNAUTHENTICATED -> kPermissionDenied; INVALID_ARGUMENT, NOT_FOUND,
// FAILED_PRECONDITION -> kConfigInvalid; RESOURCE_EXHAUSTED -> kTooManyRequests; UNAVAILABLE,
// INTERNAL, DEADLINE_EXCEEDED -> kUnavailable; the HTTP status decides for other statuses.
Error classifyGoogleApiError(std::string_view service, int httpStatus, const GoogleApiError& error);

// The generateAccessToken answer: 200 -> {"accessToken","expireTime"}; else the classified error.
Result<GcpAccessToken> readGenerateAccessTokenResponse(int httpStatus, std::string_view body);

}  // namespace tessera::credentials
