#include "credentials/gcp_sts_wire.hpp"

#include <algorithm>
#include <array>

#include "common/time_format.hpp"
#include "credentials/assertion_claims.hpp"
#include "credentials/form_encoding.hpp"
#include "credentials/upstream_response.hpp"

namespace tessera::credentials {

namespace {

constexpr std::string_view kStsService = "Google STS";
constexpr std::string_view kIamService = "Google IAM Credentials";
constexpr std::string_view kIamPrefix = "//iam.googleapis.com/";
constexpr std::size_t kMaxGoogleSubjectBytes = 127;

bool googleIdChar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool validGoogleId(std::string_view id) noexcept {
  return id.size() >= 4 && id.size() <= 32 && std::all_of(id.begin(), id.end(), googleIdChar);
}

bool serviceAccountChar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' ||
         c == '.' || c == '_' || c == '-';
}

constexpr std::array kGoogleMeanings = {
    UpstreamMeaning{"PERMISSION_DENIED", ErrorCode::kPermissionDenied,
                    "the federated principal may not act as this service account: grant it "
                    "roles/iam.workloadIdentityUser (or serviceAccountTokenCreator) on it"},
    UpstreamMeaning{"UNAUTHENTICATED", ErrorCode::kPermissionDenied,
                    "Google did not accept the federated access token"},
    UpstreamMeaning{"INVALID_ARGUMENT", ErrorCode::kConfigInvalid,
                    "a request field is invalid (scope, lifetime, delegates)"},
    UpstreamMeaning{"NOT_FOUND", ErrorCode::kConfigInvalid, "the service account does not exist"},
    UpstreamMeaning{"FAILED_PRECONDITION", ErrorCode::kConfigInvalid,
                    "the service account cannot issue tokens now (disabled?)"},
    UpstreamMeaning{"RESOURCE_EXHAUSTED", ErrorCode::kTooManyRequests,
                    "a quota is exhausted; retry later"},
    UpstreamMeaning{"UNAVAILABLE", ErrorCode::kUnavailable,
                    "the service is unavailable; retry later"},
    UpstreamMeaning{"INTERNAL", ErrorCode::kUnavailable,
                    "the service failed internally; retry later"},
    UpstreamMeaning{"DEADLINE_EXCEEDED", ErrorCode::kUnavailable,
                    "the service timed out; retry later"},
};

}  // namespace

Result<std::string> gcpWorkloadIdentityProviderName(std::string_view projectNumber,
                                                    std::string_view poolId,
                                                    std::string_view providerId) {
  if (projectNumber.empty() || projectNumber.size() > 20 ||
      !std::all_of(projectNumber.begin(), projectNumber.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return makeError(ErrorCode::kConfigInvalid,
                     "a GCP workload identity provider needs the project NUMBER (digits), not " +
                         quoteUpstream(projectNumber, 40));
  }
  if (!validGoogleId(poolId) || !validGoogleId(providerId)) {
    return makeError(ErrorCode::kConfigInvalid,
                     "GCP workload identity pool and provider ids are 4-32 characters of "
                     "[a-z0-9-]");
  }
  return std::string(kIamPrefix) + "projects/" + std::string(projectNumber) +
         "/locations/global/workloadIdentityPools/" + std::string(poolId) + "/providers/" +
         std::string(providerId);
}

std::string gcpDefaultSubjectTokenAudience(std::string_view providerName) {
  return "https:" + std::string(providerName);
}

Result<nlohmann::json> gcpSubjectTokenClaims(std::string_view issuer, std::string_view subject,
                                             std::string_view audience, SystemTime now,
                                             Seconds lifetime) {
  if (subject.size() > kMaxGoogleSubjectBytes) {
    return makeError(ErrorCode::kInvalidArgument,
                     "Google limits google.subject to 127 bytes; the subject has " +
                         std::to_string(subject.size()));
  }
  return assertionClaims({.issuer = std::string(issuer),
                          .subject = std::string(subject),
                          .audience = std::string(audience),
                          .lifetime = lifetime},
                         now, kGcpMaxSubjectTokenLifetime);
}

Result<net::ClientRequest> buildGcpStsExchange(const GcpStsExchangeRequest& request) {
  TESSERA_RETURN_IF_ERROR(checkEndpoint(kStsService, request.endpoint));
  if (!request.audience.starts_with(kIamPrefix) || request.audience.size() > 1024) {
    return makeError(ErrorCode::kConfigInvalid,
                     "Google STS audience must be the full resource name of the pool provider "
                     "(\"//iam.googleapis.com/projects/<number>/locations/global/"
                     "workloadIdentityPools/<pool>/providers/<provider>\")");
  }
  if (request.subjectToken.empty() || request.subjectTokenType.empty()) {
    return makeError(ErrorCode::kInvalidArgument, "Google STS exchange without a subject token");
  }
  if (request.scopes.empty()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "Google STS needs a scope for external credentials");
  }
  std::string scope;
  for (const auto& s : request.scopes) {
    scope += (scope.empty() ? "" : " ") + s;
  }
  const net::QueryParams fields = {{"grant_type", std::string(kTokenExchangeGrantType)},
                                   {"audience", request.audience},
                                   {"scope", scope},
                                   {"requested_token_type", std::string(kAccessTokenType)},
                                   {"subject_token_type", request.subjectTokenType},
                                   {"subject_token", request.subjectToken}};
  auto out =
      net::ClientRequest::post(request.endpoint, formBody(fields), std::string(kFormContentType));
  out.withHeader("Accept", "application/json");
  return out;
}

Result<OAuthToken> readGcpStsResponse(int httpStatus, std::string_view body) {
  return readTokenResponse(kStsService, httpStatus, body);
}

Result<net::ClientRequest> buildGenerateAccessToken(const GenerateAccessTokenRequest& request) {
  const std::string base = request.endpointBase.ends_with('/')
                               ? request.endpointBase.substr(0, request.endpointBase.size() - 1)
                               : request.endpointBase;
  TESSERA_RETURN_IF_ERROR(checkEndpoint(kIamService, base));
  const auto& sa = request.serviceAccount;
  if (sa.empty() || sa.size() > 256 || !std::all_of(sa.begin(), sa.end(), serviceAccountChar)) {
    return makeError(ErrorCode::kInvalidArgument,
                     "a service account is an email or unique id of [A-Za-z0-9@._-], not " +
                         quoteUpstream(sa, 64));
  }
  if (request.lifetime < Seconds(1) || request.lifetime > kGcpMaxAccessTokenLifetime) {
    return makeError(ErrorCode::kInvalidArgument,
                     "generateAccessToken lifetime must be 1-3600 s, not " +
                         std::to_string(request.lifetime.count()));
  }
  if (request.scopes.empty()) {
    return makeError(ErrorCode::kInvalidArgument, "generateAccessToken needs at least one scope");
  }
  if (request.federatedToken.empty()) {
    return makeError(ErrorCode::kInvalidArgument, "generateAccessToken needs the federated token");
  }
  nlohmann::json body = {{"scope", request.scopes},
                         {"lifetime", std::to_string(request.lifetime.count()) + "s"}};
  if (!request.delegates.empty()) {
    body["delegates"] = request.delegates;
  }
  auto out = net::ClientRequest::post(
      base + "/v1/projects/-/serviceAccounts/" + sa + ":generateAccessToken", body.dump(),
      "application/json");
  out.withHeader("Authorization", "Bearer " + request.federatedToken);
  return out;
}

Result<GoogleApiError> parseGoogleApiError(std::string_view body) {
  TESSERA_DECLARE_OR_RETURN(const nlohmann::json json, parseJsonObject(kIamService, body));
  const auto it = json.find("error");
  if (it == json.end() || !it->is_object()) {
    return makeError(ErrorCode::kHttpUpstream,
                     "Google answered an error body without an \"error\" object");
  }
  GoogleApiError out;
  const auto code = it->find("code");
  if (code != it->end() && code->is_number_integer()) {
    out.code = code->get<int>();
  }
  TESSERA_ASSIGN_OR_RETURN(out.message, optionalString(kIamService, *it, "message"));
  TESSERA_ASSIGN_OR_RETURN(out.status, optionalString(kIamService, *it, "status", 64));
  const auto details = it->find("details");
  if (details != it->end() && details->is_array()) {
    for (const auto& d : *details) {
      if (d.is_object() && d.contains("reason") && d["reason"].is_string()) {
        out.reason = d["reason"].get<std::string>().substr(0, 128);
        break;
      }
    }
  }
  return out;
}

Error classifyGoogleApiError(std::string_view service, int httpStatus,
                             const GoogleApiError& error) {
  const UpstreamMeaning meaning = meaningOf(kGoogleMeanings, error.status, httpStatus);
  std::string message = std::string(service) + " refused the request with " +
                        quoteUpstream(error.status.empty() ? "(no status)" : error.status, 64) +
                        " (HTTP " + std::to_string(httpStatus) + "): " + std::string(meaning.hint);
  if (!error.reason.empty()) {
    message += " [" + quoteUpstream(error.reason, 64) + "]";
  }
  if (!error.message.empty()) {
    message += ". Google said: " + quoteUpstream(error.message);
  }
  return makeError(meaning.errorCode, std::move(message));
}

Result<GcpAccessToken> readGenerateAccessTokenResponse(int httpStatus, std::string_view body) {
  if (httpStatus != 200) {
    auto error = parseGoogleApiError(body);
    if (!error) {
      return unexplainedStatus(kIamService, httpStatus);
    }
    return classifyGoogleApiError(kIamService, httpStatus, *error);
  }
  TESSERA_DECLARE_OR_RETURN(const nlohmann::json json, parseJsonObject(kIamService, body));
  GcpAccessToken out;
  TESSERA_ASSIGN_OR_RETURN(out.accessToken,
                           requiredString(kIamService, json, "accessToken", kMaxAccessTokenBytes));
  TESSERA_DECLARE_OR_RETURN(const std::string expireTime,
                            requiredString(kIamService, json, "expireTime", 64));
  auto parsed = parseRfc3339(expireTime);
  if (!parsed) {
    return makeError(
        ErrorCode::kHttpUpstream,
        "Google IAM Credentials answered an expireTime that is not an RFC 3339 time: " +
            quoteUpstream(expireTime, 40));
  }
  out.expireTime = *parsed;
  return out;
}

}  // namespace tessera::credentials
