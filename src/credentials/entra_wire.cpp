#include "credentials/entra_wire.hpp"

#include <algorithm>
#include <array>

#include "credentials/assertion_claims.hpp"
#include "credentials/form_encoding.hpp"
#include "credentials/upstream_response.hpp"

namespace tessera::credentials {

namespace {

constexpr std::string_view kService = "Microsoft Entra ID";
constexpr std::size_t kMaxFicValueChars = 600;

bool tenantChar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

constexpr std::array kAadstsMeanings = {
    UpstreamMeaning{"70021", ErrorCode::kPermissionDenied,
                    "no federated identity credential of the app matches the assertion: its issuer "
                    "must equal the hub issuer exactly (trailing '/' included), its subject the "
                    "workload identity, its audience the assertion's aud"},
    UpstreamMeaning{"700211", ErrorCode::kPermissionDenied,
                    "no federated identity credential of the app has the assertion's issuer"},
    UpstreamMeaning{"700212", ErrorCode::kPermissionDenied,
                    "no federated identity credential of the app has the assertion's audience"},
    UpstreamMeaning{"700213", ErrorCode::kPermissionDenied,
                    "no federated identity credential of the app has the assertion's subject"},
    UpstreamMeaning{"700024", ErrorCode::kPermissionDenied,
                    "the client assertion is not within its valid time range: check the hub's "
                    "clock"},
    UpstreamMeaning{"50027", ErrorCode::kPermissionDenied,
                    "Entra could not read the client assertion as a JWT"},
    UpstreamMeaning{"50013", ErrorCode::kPermissionDenied,
                    "the client assertion failed signature validation against the issuer's JWKS"},
    UpstreamMeaning{"700027", ErrorCode::kPermissionDenied,
                    "the client assertion failed signature validation: no key of the issuer's "
                    "JWKS verifies it"},
    UpstreamMeaning{"5002738", ErrorCode::kConfigInvalid,
                    "Entra does not accept the assertion's signing algorithm: sign it with RS256"},
    UpstreamMeaning{"1002012", ErrorCode::kConfigInvalid,
                    "the scope is invalid: use \"<resource app id URI>/.default\""},
    UpstreamMeaning{"500011", ErrorCode::kConfigInvalid,
                    "the scope's resource does not exist in the tenant"},
    UpstreamMeaning{"700016", ErrorCode::kConfigInvalid,
                    "no application with this client id exists in the tenant"},
    UpstreamMeaning{"90002", ErrorCode::kConfigInvalid, "the tenant does not exist"},
    UpstreamMeaning{"70011", ErrorCode::kConfigInvalid,
                    "the scope is invalid: use \"<resource app id URI>/.default\""},
    UpstreamMeaning{"90061", ErrorCode::kUnavailable,
                    "Entra could not fetch the issuer's discovery document or JWKS (they must be "
                    "publicly reachable); retrying may help"},
};

}  // namespace

Result<nlohmann::json> entraAssertionClaims(std::string_view issuer, std::string_view subject,
                                            std::string_view jti, SystemTime now, Seconds lifetime,
                                            std::string_view audience) {
  if (issuer.size() > kMaxFicValueChars || subject.size() > kMaxFicValueChars) {
    return makeError(ErrorCode::kInvalidArgument,
                     "Entra matches issuer and subject of at most 600 characters");
  }
  return assertionClaims({.issuer = std::string(issuer),
                          .subject = std::string(subject),
                          .audience = std::string(audience),
                          .jti = std::string(jti),
                          .lifetime = lifetime},
                         now, kEntraMaxAssertionLifetime);
}

Result<net::ClientRequest> buildEntraTokenRequest(const EntraTokenRequest& request) {
  std::string authority = request.authorityHost;
  while (authority.ends_with('/')) {
    authority.pop_back();
  }
  TESSERA_RETURN_IF_ERROR(checkEndpoint(kService, authority));
  const auto& tenant = request.tenant;
  if (tenant.empty() || tenant.size() > 256 ||
      !std::all_of(tenant.begin(), tenant.end(), tenantChar)) {
    return makeError(ErrorCode::kConfigInvalid, "an Entra tenant is a GUID or a domain name, not " +
                                                    quoteUpstream(tenant, 64));
  }
  if (!request.scope.ends_with("/.default") || request.scope.find(' ') != std::string::npos) {
    return makeError(ErrorCode::kConfigInvalid,
                     "the Entra client credentials grant takes one scope of the form "
                     "\"<resource app id URI>/.default\", not " +
                         quoteUpstream(request.scope, 128));
  }
  if (request.clientId.empty() || request.clientAssertion.empty()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "an Entra token request needs a client id and a client assertion");
  }
  const net::QueryParams fields = {
      {"client_id", request.clientId},
      {"scope", request.scope},
      {"grant_type", "client_credentials"},
      {"client_assertion_type", std::string(kJwtBearerClientAssertionType)},
      {"client_assertion", request.clientAssertion}};
  auto out = net::ClientRequest::post(authority + "/" + tenant + "/oauth2/v2.0/token",
                                      formBody(fields), std::string(kFormContentType));
  out.withHeader("Accept", "application/json");
  return out;
}

Result<EntraError> parseEntraError(std::string_view body) {
  TESSERA_DECLARE_OR_RETURN(const OAuthError oauth, parseOAuthError(kService, body));
  TESSERA_DECLARE_OR_RETURN(const nlohmann::json json, parseJsonObject(kService, body));
  EntraError out;
  out.error = oauth.error;
  // Entra appends "\r\nTrace ID: ...\r\nCorrelation ID: ...\r\nTimestamp: ..." to the
  // description; those are read from their own members.
  out.description = oauth.description.substr(0, oauth.description.find_first_of("\r\n"));
  const auto codes = json.find("error_codes");
  if (codes != json.end() && codes->is_array()) {
    for (const auto& c : *codes) {
      if (c.is_number_integer() && out.codes.size() < 16) {
        out.codes.push_back(c.get<std::int64_t>());
      }
    }
  }
  TESSERA_ASSIGN_OR_RETURN(out.traceId, optionalString(kService, json, "trace_id", 64));
  TESSERA_ASSIGN_OR_RETURN(out.correlationId, optionalString(kService, json, "correlation_id", 64));
  TESSERA_ASSIGN_OR_RETURN(out.timestamp, optionalString(kService, json, "timestamp", 64));
  return out;
}

Error classifyEntraError(int httpStatus, const EntraError& error) {
  const std::string aadsts = error.codes.empty() ? "" : std::to_string(error.codes.front());
  Error out;
  if (findMeaning(kAadstsMeanings, aadsts) != nullptr) {
    const UpstreamMeaning meaning = meaningOf(kAadstsMeanings, aadsts, httpStatus);
    out = makeError(meaning.errorCode,
                    std::string(kService) + " refused the token request with AADSTS" + aadsts +
                        " (HTTP " + std::to_string(httpStatus) + "): " + std::string(meaning.hint) +
                        ". It said: " + quoteUpstream(error.description));
  } else {
    // An AADSTS code this table does not know: the OAuth error code says what kind of refusal.
    out = classifyOAuthError(kService, httpStatus,
                             OAuthError{.error = error.error, .description = error.description});
  }
  if (!error.traceId.empty() || !error.correlationId.empty()) {
    out.message += " (trace id " + quoteUpstream(error.traceId, 64) + ", correlation id " +
                   quoteUpstream(error.correlationId, 64) + ")";
  }
  return out;
}

Result<OAuthToken> readEntraTokenResponse(int httpStatus, std::string_view body) {
  if (httpStatus == 200) {
    return parseTokenResponse(kService, body);
  }
  auto error = parseEntraError(body);
  if (!error) {
    return unexplainedStatus(kService, httpStatus);
  }
  return classifyEntraError(httpStatus, *error);
}

}  // namespace tessera::credentials
