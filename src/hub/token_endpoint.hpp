// The hub's RFC 8693 token endpoint, POST {issuer}/token: a workload (a CI job, a pod) trades its
// native token (subject_token) for the credential an access policy grants it for one server
// workload (audience/resource). It runs the same decision as POST /v1/access, records the same
// access event, and answers in OAuth form. No client authentication: the subject token is the
// credential. Added by Hub next to the issuer routes; published in the discovery document.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "hub/access_service.hpp"
#include "net/router.hpp"
#include "policy/server_workload_index.hpp"

namespace tessera::hub {

inline constexpr std::string_view kTokenExchangeGrantType =
    "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr std::string_view kJwtTokenType = "urn:ietf:params:oauth:token-type:jwt";
inline constexpr std::string_view kIdTokenType = "urn:ietf:params:oauth:token-type:id_token";
inline constexpr std::string_view kAccessTokenType =
    "urn:ietf:params:oauth:token-type:access_token";
// issued_token_type of a credential that is not one token (AWS keys, username and password).
inline constexpr std::string_view kTesseraCredentialType = "urn:tessera:credential";
inline constexpr std::size_t kMaxTokenRequestBytes = 64 * 1024;
inline constexpr std::size_t kMaxTokenParamBytes = 2048;  // every parameter but subject_token

// An RFC 6749 §5.2 error: {error, error_description} with its HTTP status.
struct OAuthError {
  std::string error;
  std::string description;
  int status = 400;
};

struct TokenExchangeRequest {
  std::string subjectToken;
  std::string subjectTokenType;
  std::vector<std::string> audiences;
  std::vector<std::string> resources;
  std::optional<std::string> requestedTokenType;
};

// Validates a token request (Content-Type and form body); OAuthError for what RFC 8693 refuses.
std::variant<TokenExchangeRequest, OAuthError> parseTokenExchangeRequest(
    std::string_view contentType, std::string_view body);

// The target a server workload name or URL (https://host[:port]) names in `snapshot`: a name
// gives the workload's own host, port and protocol (its host must not be a pattern); a URL gives
// host and port, protocol http. nullopt: nothing to decide for.
std::optional<policy::Target> tokenExchangeTarget(const model::ConfigSnapshot& snapshot,
                                                  const std::string& identifier);

// The RFC 8693 §2.2.1 answer for an authorized outcome with its grant.
nlohmann::json tokenExchangeAnswer(const AccessOutcome& outcome, SystemTime now);

// {error, error_description}, Cache-Control: no-store.
net::Response oauthErrorResponse(const OAuthError& error);

void addTokenEndpoint(net::Router& router, const std::string& issuer, AccessService& access,
                      const Clock& clock);

}  // namespace tessera::hub
