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

struct AadstsMeaning {
  std::int64_t code;
  ErrorCode errorCode;
  std::string_view hint;
};

constexpr std::array kAadstsMeanings = {
    AadstsMeaning{70021, ErrorCode::kPermissionDenied,
                  "no federated identity credential of the app matches the assertion: its issuer "
                  "must equal the hub issuer exactly (trailing '/' included), its subject the "
                  "workload identity, its audience the assertion's aud"},
    AadstsMeaning{700211, ErrorCode::kPermissionDenied,
                  "no federated identity credential of the app has the assertion's issuer"},
    AadstsMeaning{700212, ErrorCode::kPermissionDenied,
                  "no federated identity credential of the app has the assertion's audience"},
    AadstsMeaning{700213, ErrorCode::kPermissionDenied,
                  "no federated identity credential of the app has the assertion's subject"},
    AadstsMeaning{700024, ErrorCode::kPermissionDenied,
                  "the client assertion is not within its valid time range: check the hub's "
                  "clock"},
    AadstsMeaning{50027, ErrorCode::kPermissionDenied,
                  "Entra could not read the client assertion as a JWT"},
    AadstsMeaning{50013, ErrorCode::kPermissionDenied,
                  "the client assertion failed signature validation against the issuer's JWKS"},
    AadstsMeaning{700027, ErrorCode::kPermissionDenied,
                  "the client assertion failed signature validation: no key of the issuer's "
                  "JWKS verifies it"},
    AadstsMeaning{5002738, ErrorCode::kConfigInvalid,
                  "Entra does not accept the assertion's signing algorithm: sign it with RS256"},
    AadstsMeaning{1002012, ErrorCode::kConfigInvalid,
                  "the scope is invalid: use \"<resource app id URI>/.default\""},
    AadstsMeaning{500011, ErrorCode::kConfigInvalid,
                  "the scope's resource does not exist in the tenant"},
    AadstsMeaning{700016, ErrorCode::kConfigInvalid,
                  "no application with this client id exists in the tenant"},
    AadstsMeaning{90002, ErrorCode::kConfigInvalid, "the tenant does not exist"},
    AadstsMeaning{70011, ErrorCode::kConfigInvalid,
                  "the scope is invalid: use \"<resource app id URI>/.default\""},
    AadstsMeaning{90061, ErrorCode::kUnavailable,
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
  const AadstsMeaning* meaning = nullptr;
  if (!error.codes.empty()) {
    const auto it = std::find_if(kAadstsMeanings.begin(), kAadstsMeanings.end(),
                                 [&](const AadstsMeaning& m) { return m.code == error.codes[0]; });
    meaning = it == kAadstsMeanings.end() ? nullptr : &*it;
  }
  Error out = classifyOAuthError(
      kService, httpStatus, OAuthError{.error = error.error, .description = error.description});
  if (meaning != nullptr) {
    out.code = meaning->errorCode;
    out.message = std::string(kService) + " refused the token request with AADSTS" +
                  std::to_string(meaning->code) + " (HTTP " + std::to_string(httpStatus) +
                  "): " + std::string(meaning->hint) +
                  ". It said: " + quoteUpstream(error.description);
    // The status has the last word on retries, as for any OAuth server.
    if (httpStatus == 429) {
      out.code = ErrorCode::kTooManyRequests;
    } else if (httpStatus >= 500 && httpStatus <= 599) {
      out.code = ErrorCode::kUnavailable;
    }
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
