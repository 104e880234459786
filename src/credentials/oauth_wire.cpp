#include "credentials/oauth_wire.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <span>

#include "credentials/assertion_claims.hpp"
#include "credentials/form_encoding.hpp"
#include "credentials/upstream_response.hpp"
#include "crypto/digest.hpp"

namespace tessera::credentials {

namespace {

constexpr std::array kReservedParameters = {"grant_type",       "scope",
                                            "client_id",        "client_secret",
                                            "client_assertion", "client_assertion_type"};

// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
bool validScopeToken(std::string_view scope) noexcept {
  return !scope.empty() && std::all_of(scope.begin(), scope.end(), [](char c) {
    return c >= 0x21 && c <= 0x7E && c != '"' && c != '\\';
  });
}

Error invalid(std::string message) {
  return makeError(ErrorCode::kInvalidArgument, "OAuth client credentials: " + std::move(message));
}

constexpr std::array kOAuthMeanings = {
    UpstreamMeaning{"invalid_client", ErrorCode::kPermissionDenied,
                    "client authentication failed: check the client id and its secret, or that the "
                    "server trusts the hub's key for private_key_jwt"},
    UpstreamMeaning{"invalid_grant", ErrorCode::kPermissionDenied,
                    "the server refused the grant or the token presented"},
    UpstreamMeaning{"unauthorized_client", ErrorCode::kPermissionDenied,
                    "the client may not use this grant type"},
    UpstreamMeaning{"access_denied", ErrorCode::kPermissionDenied, "the server denied access"},
    UpstreamMeaning{"invalid_request", ErrorCode::kConfigInvalid,
                    "the server considers the request malformed"},
    UpstreamMeaning{"invalid_scope", ErrorCode::kConfigInvalid,
                    "a requested scope is unknown or not allowed for this client"},
    UpstreamMeaning{"invalid_target", ErrorCode::kConfigInvalid,
                    "the requested audience or resource is unknown to the server"},
    UpstreamMeaning{"unsupported_grant_type", ErrorCode::kConfigInvalid,
                    "the server does not support this grant type"},
    UpstreamMeaning{"server_error", ErrorCode::kUnavailable,
                    "the server failed internally; retrying may help"},
    UpstreamMeaning{"temporarily_unavailable", ErrorCode::kUnavailable,
                    "the server is temporarily unavailable; retrying may help"},
    UpstreamMeaning{"slow_down", ErrorCode::kTooManyRequests, "the server asks to slow down"},
};

Result<std::optional<std::int64_t>> readExpiresIn(std::string_view service,
                                                  const nlohmann::json& body) {
  const auto it = body.find("expires_in");
  if (it == body.end() || it->is_null()) {
    return std::optional<std::int64_t>();
  }
  // Ten years: anything longer is not a lifetime but a mistake.
  constexpr std::int64_t kMax = 10LL * 366 * 24 * 3600;
  std::int64_t value = -1;
  if (it->is_number_integer()) {
    value = it->get<std::int64_t>();
  } else if (it->is_string()) {
    const auto& text = it->get_ref<const std::string&>();
    if (!text.empty() && text.size() <= 12 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      value = std::stoll(text);
    }
  }
  if (value < 0 || value > kMax) {
    return makeError(ErrorCode::kHttpUpstream,
                     std::string(service) +
                         " answered an expires_in that is not a lifetime in "
                         "seconds");
  }
  return std::optional<std::int64_t>(value);
}

}  // namespace

std::string_view oauthClientAuthName(OAuthClientAuth method) noexcept {
  switch (method) {
    case OAuthClientAuth::kClientSecretBasic:
      return "client_secret_basic";
    case OAuthClientAuth::kClientSecretPost:
      return "client_secret_post";
    case OAuthClientAuth::kPrivateKeyJwt:
      return "private_key_jwt";
  }
  return "unknown";
}

std::optional<OAuthClientAuth> parseOAuthClientAuth(std::string_view name) noexcept {
  for (const auto method : {OAuthClientAuth::kClientSecretBasic, OAuthClientAuth::kClientSecretPost,
                            OAuthClientAuth::kPrivateKeyJwt}) {
    if (oauthClientAuthName(method) == name) {
      return method;
    }
  }
  return std::nullopt;
}

std::string clientSecretBasicAuthorization(std::string_view clientId, std::string_view secret) {
  const std::string credentials = formEncode(clientId) + ":" + formEncode(secret);
  return "Basic " +
         crypto::base64Encode(std::span(reinterpret_cast<const unsigned char*>(credentials.data()),
                                        credentials.size()));
}

bool isClientCredentialsParameter(std::string_view name) noexcept {
  return name.empty() || std::find(kReservedParameters.begin(), kReservedParameters.end(), name) !=
                             kReservedParameters.end();
}

Result<net::ClientRequest> buildClientCredentialsRequest(const ClientCredentialsRequest& request) {
  TESSERA_RETURN_IF_ERROR(checkEndpoint("OAuth token endpoint", request.tokenEndpoint));
  if (request.clientId.empty()) {
    return invalid("client_id is empty");
  }
  net::QueryParams fields = {{"grant_type", "client_credentials"}};
  if (!request.scopes.empty()) {
    std::string scope;
    for (const auto& s : request.scopes) {
      if (!validScopeToken(s)) {
        return invalid("scope " + quoteUpstream(s, 64) +
                       " is not an RFC 6749 scope token (printable ASCII without space, '\"' "
                       "or '\\')");
      }
      scope += (scope.empty() ? "" : " ") + s;
    }
    fields.emplace_back("scope", std::move(scope));
  }
  for (const auto& [name, value] : request.extraParameters) {
    if (isClientCredentialsParameter(name)) {
      return invalid("extra parameter " + quoteUpstream(name, 64) +
                     " is empty or one the grant sets itself");
    }
    fields.emplace_back(name, value);
  }
  std::optional<std::string> authorization;
  switch (request.auth) {
    case OAuthClientAuth::kClientSecretBasic:
      if (request.clientSecret.empty()) {
        return invalid("client_secret_basic needs a client secret");
      }
      authorization = clientSecretBasicAuthorization(request.clientId, request.clientSecret);
      break;
    case OAuthClientAuth::kClientSecretPost:
      if (request.clientSecret.empty()) {
        return invalid("client_secret_post needs a client secret");
      }
      fields.emplace_back("client_id", request.clientId);
      fields.emplace_back("client_secret", request.clientSecret);
      break;
    case OAuthClientAuth::kPrivateKeyJwt:
      if (request.clientAssertion.empty()) {
        return invalid("private_key_jwt needs a signed client assertion");
      }
      fields.emplace_back("client_id", request.clientId);
      fields.emplace_back("client_assertion_type", std::string(kJwtBearerClientAssertionType));
      fields.emplace_back("client_assertion", request.clientAssertion);
      break;
  }
  auto out = net::ClientRequest::post(request.tokenEndpoint, formBody(fields),
                                      std::string(kFormContentType));
  out.withHeader("Accept", "application/json");
  if (authorization) {
    out.withHeader("Authorization", std::move(*authorization));
  }
  return out;
}

Result<nlohmann::json> clientAssertionClaims(std::string_view clientId,
                                             std::string_view tokenEndpoint, std::string_view jti,
                                             SystemTime now, Seconds lifetime) {
  if (jti.empty()) {
    return invalid("a private_key_jwt assertion needs a jti");
  }
  return assertionClaims({.issuer = std::string(clientId),
                          .subject = std::string(clientId),
                          .audience = std::string(tokenEndpoint),
                          .jti = std::string(jti),
                          .lifetime = lifetime},
                         now, kMaxClientAssertionLifetime);
}

std::optional<SystemTime> OAuthToken::expiresAt(SystemTime now) const {
  if (!expiresIn) {
    return std::nullopt;
  }
  return now + Seconds(*expiresIn);
}

Result<OAuthToken> parseTokenResponse(std::string_view service, std::string_view body) {
  TESSERA_DECLARE_OR_RETURN(const nlohmann::json json, parseJsonObject(service, body));
  OAuthToken out;
  TESSERA_ASSIGN_OR_RETURN(out.accessToken,
                           requiredString(service, json, "access_token", kMaxAccessTokenBytes));
  TESSERA_ASSIGN_OR_RETURN(out.tokenType, requiredString(service, json, "token_type", 64));
  TESSERA_ASSIGN_OR_RETURN(out.expiresIn, readExpiresIn(service, json));
  TESSERA_ASSIGN_OR_RETURN(out.scope, optionalString(service, json, "scope"));
  TESSERA_ASSIGN_OR_RETURN(out.issuedTokenType,
                           optionalString(service, json, "issued_token_type", 256));
  return out;
}

Result<OAuthError> parseOAuthError(std::string_view service, std::string_view body) {
  TESSERA_DECLARE_OR_RETURN(const nlohmann::json json, parseJsonObject(service, body));
  OAuthError out;
  TESSERA_ASSIGN_OR_RETURN(out.error, requiredString(service, json, "error", 256));
  TESSERA_ASSIGN_OR_RETURN(out.description, optionalString(service, json, "error_description"));
  TESSERA_ASSIGN_OR_RETURN(out.uri, optionalString(service, json, "error_uri", 1024));
  return out;
}

Error classifyOAuthError(std::string_view service, int httpStatus, const OAuthError& error) {
  const UpstreamMeaning meaning = meaningOf(kOAuthMeanings, error.error, httpStatus);
  std::string message = std::string(service) + " refused the token request with " +
                        quoteUpstream(error.error, 64) + " (HTTP " + std::to_string(httpStatus) +
                        "): " + std::string(meaning.hint);
  if (!error.description.empty()) {
    message += ". It said: " + quoteUpstream(error.description);
  }
  return makeError(meaning.errorCode, std::move(message));
}

Result<OAuthToken> readTokenResponse(std::string_view service, int httpStatus,
                                     std::string_view body) {
  if (httpStatus == 200) {
    return parseTokenResponse(service, body);
  }
  auto error = parseOAuthError(service, body);
  if (!error) {
    return unexplainedStatus(service, httpStatus);
  }
  return classifyOAuthError(service, httpStatus, *error);
}

}  // namespace tessera::credentials
