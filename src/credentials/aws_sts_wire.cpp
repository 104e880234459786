#include "credentials/aws_sts_wire.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

#include "common/time_format.hpp"
#include "credentials/assertion_claims.hpp"
#include "credentials/form_encoding.hpp"
#include "credentials/upstream_response.hpp"
#include "credentials/xml_reader.hpp"
#include "crypto/digest.hpp"

namespace tessera::credentials {

namespace {

constexpr std::string_view kService = "AWS STS";
constexpr std::size_t kMaxSessionNameChars = 64;
constexpr std::size_t kSessionHashHexDigits = 8;

bool lowerAlpha(char c) noexcept {
  return c >= 'a' && c <= 'z';
}
bool digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// [\w+=,.@-]
bool sessionNameChar(char c) noexcept {
  return lowerAlpha(c) || (c >= 'A' && c <= 'Z') || digit(c) || c == '_' || c == '+' || c == '=' ||
         c == ',' || c == '.' || c == '@' || c == '-';
}

Error invalid(std::string message) {
  return makeError(ErrorCode::kInvalidArgument, "AssumeRoleWithWebIdentity: " + std::move(message));
}

// AWS constrains Policy to the characters tab, LF, CR and U+0020..U+00FF, counted in characters.
Result<void> checkPolicy(std::string_view policy) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < policy.size(); ++chars) {
    const auto b = static_cast<unsigned char>(policy[i]);
    std::uint32_t cp = b;
    if (b >= 0x80) {
      // Two-byte UTF-8 covers U+0080..U+07FF; anything longer is beyond U+00FF anyway.
      if ((b & 0xE0) != 0xC0 || i + 1 >= policy.size() ||
          (static_cast<unsigned char>(policy[i + 1]) & 0xC0) != 0x80) {
        return invalid("Policy must be UTF-8 text of tab, LF, CR and U+0020..U+00FF");
      }
      cp = ((b & 0x1Fu) << 6) | (static_cast<unsigned char>(policy[i + 1]) & 0x3Fu);
      i += 2;
    } else {
      ++i;
    }
    if (!(cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xFF))) {
      return invalid("Policy must be UTF-8 text of tab, LF, CR and U+0020..U+00FF");
    }
  }
  if (chars < 1 || chars > 2048) {
    return invalid("Policy must be 1-2048 characters, not " + std::to_string(chars));
  }
  return {};
}

Result<void> checkArn(std::string_view what, std::string_view arn) {
  if (arn.size() < 20 || arn.size() > 2048 || arn.substr(0, 4) != "arn:") {
    return invalid(std::string(what) + " must be an ARN of 20-2048 characters");
  }
  return {};
}

std::string requestIdOf(const XmlElement& root) {
  if (const auto* meta = root.child("ResponseMetadata")) {
    return std::string(meta->childText("RequestId"));
  }
  return std::string(root.childText("RequestId"));
}

Result<std::string> requiredText(const XmlElement& parent, std::string_view name) {
  const XmlElement* e = parent.child(name);
  if (e == nullptr || e->text.empty()) {
    return makeError(ErrorCode::kHttpUpstream,
                     "AWS STS answered AssumeRoleWithWebIdentity without " + std::string(name));
  }
  return e->text;
}

// What each documented error code of AssumeRoleWithWebIdentity means (PROTOCOLS.md 1.4) and what
// to check. Only the IdP being unreachable, throttling and server faults are worth retrying.
constexpr std::array kAwsMeanings = {
    UpstreamMeaning{
        "InvalidIdentityToken", ErrorCode::kPermissionDenied,
        "AWS rejected the hub's web identity token: check that the account has an IAM OIDC "
        "provider whose URL is the hub's issuer, that its client ids include the token "
        "audience, and that AWS can fetch the issuer's discovery document and JWKS"},
    UpstreamMeaning{
        "ExpiredToken", ErrorCode::kPermissionDenied,
        "AWS considers the web identity token expired or too old: check the hub's clock"},
    UpstreamMeaning{
        "ExpiredTokenException", ErrorCode::kPermissionDenied,
        "AWS considers the web identity token expired or too old: check the hub's clock"},
    UpstreamMeaning{
        "IDPCommunicationError", ErrorCode::kUnavailable,
        "AWS could not reach the hub's issuer (discovery document or JWKS); retrying may "
        "help"},
    UpstreamMeaning{"IDPRejectedClaim", ErrorCode::kPermissionDenied,
                    "the identity provider rejected a claim of the token"},
    UpstreamMeaning{"AccessDenied", ErrorCode::kPermissionDenied,
                    "the role's trust policy does not allow this identity: check its Federated "
                    "principal and its :aud and :sub conditions"},
    UpstreamMeaning{
        "RegionDisabledException", ErrorCode::kConfigInvalid,
        "STS is not activated for this account in the endpoint's region: activate it or "
        "use another regional endpoint"},
    UpstreamMeaning{"MalformedPolicyDocument", ErrorCode::kConfigInvalid,
                    "the session policy is not a valid IAM policy"},
    UpstreamMeaning{"PackedPolicyTooLarge", ErrorCode::kConfigInvalid,
                    "the session policy and session tags are too large once packed: shorten them"},
    UpstreamMeaning{"ValidationError", ErrorCode::kConfigInvalid,
                    "a parameter breaks STS's constraints (for example DurationSeconds above the "
                    "role's maximum session duration)"},
    UpstreamMeaning{"Throttling", ErrorCode::kTooManyRequests,
                    "AWS throttled the request; retry later"},
    UpstreamMeaning{"ThrottlingException", ErrorCode::kTooManyRequests,
                    "AWS throttled the request; retry later"},
    UpstreamMeaning{"InternalFailure", ErrorCode::kUnavailable,
                    "AWS STS failed internally; retrying may help"},
    UpstreamMeaning{"ServiceUnavailable", ErrorCode::kUnavailable,
                    "AWS STS is unavailable; retrying may help"},
};

}  // namespace

Result<std::string> awsStsRegionalEndpoint(std::string_view region) {
  // [a-z]{2}(-[a-z]+)+-[0-9]+
  bool valid = region.size() >= 6 && region.size() <= 32 && lowerAlpha(region[0]) &&
               lowerAlpha(region[1]) && region[2] == '-';
  std::size_t dashes = 0;
  for (std::size_t i = 2; valid && i < region.size(); ++i) {
    const char c = region[i];
    if (c == '-') {
      ++dashes;
      valid = i + 1 < region.size() && region[i - 1] != '-';
    } else {
      valid = lowerAlpha(c) || digit(c);
    }
  }
  const auto lastDash = region.rfind('-');
  if (valid) {
    valid = dashes >= 2 && lastDash + 1 < region.size();
    for (std::size_t i = lastDash + 1; valid && i < region.size(); ++i) {
      valid = digit(region[i]);
    }
  }
  if (!valid) {
    return makeError(ErrorCode::kConfigInvalid, "AWS region " + quoteUpstream(region, 40) +
                                                    " is not a region name such as "
                                                    "\"us-east-1\"");
  }
  if (region.starts_with("us-iso")) {
    // The isolated partitions have their own domains (c2s.ic.gov, sc2s.sgov.gov...): an explicit
    // endpoint is safer than a guess.
    return makeError(ErrorCode::kConfigInvalid,
                     "AWS region " + std::string(region) +
                         " is in an isolated partition: configure the STS endpoint explicitly");
  }
  const std::string_view domain = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return "https://sts." + std::string(region) + "." + std::string(domain) + "/";
}

std::string deriveRoleSessionName(std::string_view identity) {
  std::string name;
  name.reserve(identity.size());
  for (const char c : identity) {
    name.push_back(sessionNameChar(c) ? c : '-');
  }
  if (name == identity && name.size() >= 2 && name.size() <= kMaxSessionNameChars) {
    return name;
  }
  const auto digest = crypto::sha256(identity);
  const std::string hash = crypto::toHex(digest).substr(0, kSessionHashHexDigits);
  name.resize(std::min(name.size(), kMaxSessionNameChars - kSessionHashHexDigits - 1));
  return name.empty() ? hash : name + "-" + hash;
}

Result<net::ClientRequest> buildAssumeRoleWithWebIdentity(
    const AssumeRoleWithWebIdentityRequest& request) {
  TESSERA_RETURN_IF_ERROR(checkEndpoint(kService, request.endpoint));
  TESSERA_RETURN_IF_ERROR(checkArn("RoleArn", request.roleArn));
  const auto& session = request.roleSessionName;
  if (session.size() < 2 || session.size() > kMaxSessionNameChars ||
      !std::all_of(session.begin(), session.end(), sessionNameChar)) {
    return invalid("RoleSessionName must be 2-64 characters of [A-Za-z0-9_+=,.@-]");
  }
  if (request.webIdentityToken.size() < 4 || request.webIdentityToken.size() > 20000) {
    return invalid("WebIdentityToken must be 4-20000 characters, not " +
                   std::to_string(request.webIdentityToken.size()));
  }
  net::QueryParams fields = {{"Action", "AssumeRoleWithWebIdentity"},
                             {"Version", std::string(kAwsStsApiVersion)},
                             {"RoleArn", request.roleArn},
                             {"RoleSessionName", session},
                             {"WebIdentityToken", request.webIdentityToken}};
  if (request.duration) {
    const auto seconds = request.duration->count();
    if (*request.duration < kAwsMinSessionDuration || *request.duration > kAwsMaxSessionDuration) {
      return invalid("DurationSeconds must be 900-43200, not " + std::to_string(seconds));
    }
    fields.emplace_back("DurationSeconds", std::to_string(seconds));
  }
  if (request.policy) {
    TESSERA_RETURN_IF_ERROR(checkPolicy(*request.policy));
    fields.emplace_back("Policy", *request.policy);
  }
  if (request.policyArns.size() > 10) {
    return invalid("at most 10 PolicyArns, not " + std::to_string(request.policyArns.size()));
  }
  for (std::size_t i = 0; i < request.policyArns.size(); ++i) {
    TESSERA_RETURN_IF_ERROR(checkArn("a policy ARN", request.policyArns[i]));
    fields.emplace_back("PolicyArns.member." + std::to_string(i + 1) + ".arn",
                        request.policyArns[i]);
  }
  return net::ClientRequest::post(request.endpoint, formBody(fields),
                                  std::string(kFormContentType) + "; charset=utf-8");
}

Result<nlohmann::json> awsWebIdentityTokenClaims(std::string_view issuer, std::string_view subject,
                                                 SystemTime now, Seconds lifetime,
                                                 std::string_view audience) {
  return assertionClaims({.issuer = std::string(issuer),
                          .subject = std::string(subject),
                          .audience = std::string(audience),
                          .lifetime = lifetime},
                         now, Seconds(3600));
}

Result<AwsStsCredentials> parseAssumeRoleWithWebIdentityResponse(std::string_view xml) {
  auto doc = parseXml(xml);
  if (!doc) {
    return makeError(ErrorCode::kHttpUpstream,
                     "AWS STS answered AssumeRoleWithWebIdentity with unreadable XML (" +
                         doc.error().message + ")");
  }
  const XmlElement& root = *doc;
  const XmlElement* result = root.localName() == "AssumeRoleWithWebIdentityResponse"
                                 ? root.child("AssumeRoleWithWebIdentityResult")
                                 : nullptr;
  if (result == nullptr) {
    return makeError(ErrorCode::kHttpUpstream,
                     "AWS STS answered a document that is not an "
                     "AssumeRoleWithWebIdentityResponse (root element " +
                         quoteUpstream(root.name, 64) + ")");
  }
  const XmlElement* credentials = result->child("Credentials");
  if (credentials == nullptr) {
    return makeError(ErrorCode::kHttpUpstream,
                     "AWS STS answered AssumeRoleWithWebIdentity without Credentials");
  }
  AwsStsCredentials out;
  TESSERA_ASSIGN_OR_RETURN(out.accessKeyId, requiredText(*credentials, "AccessKeyId"));
  TESSERA_ASSIGN_OR_RETURN(out.secretAccessKey, requiredText(*credentials, "SecretAccessKey"));
  TESSERA_ASSIGN_OR_RETURN(out.sessionToken, requiredText(*credentials, "SessionToken"));
  TESSERA_DECLARE_OR_RETURN(const std::string expiration, requiredText(*credentials, "Expiration"));
  auto expires = parseRfc3339(expiration);
  if (!expires) {
    return makeError(ErrorCode::kHttpUpstream,
                     "AWS STS answered an Expiration that is not an ISO 8601 time: " +
                         quoteUpstream(expiration, 40));
  }
  out.expiration = *expires;
  const XmlElement* user = result->child("AssumedRoleUser");
  if (user == nullptr) {
    return makeError(ErrorCode::kHttpUpstream,
                     "AWS STS answered AssumeRoleWithWebIdentity without AssumedRoleUser");
  }
  TESSERA_ASSIGN_OR_RETURN(out.assumedRoleArn, requiredText(*user, "Arn"));
  out.assumedRoleId = user->childText("AssumedRoleId");
  out.subjectFromWebIdentityToken = result->childText("SubjectFromWebIdentityToken");
  out.audience = result->childText("Audience");
  out.provider = result->childText("Provider");
  out.sourceIdentity = result->childText("SourceIdentity");
  if (const XmlElement* packed = result->child("PackedPolicySize")) {
    int size = 0;
    const char* end = packed->text.data() + packed->text.size();
    const auto [ptr, ec] = std::from_chars(packed->text.data(), end, size);
    if (ec != std::errc() || ptr != end || size < 0) {
      return makeError(ErrorCode::kHttpUpstream,
                       "AWS STS answered a PackedPolicySize that is not a whole number");
    }
    out.packedPolicySize = size;
  }
  out.requestId = requestIdOf(root);
  return out;
}

Result<AwsStsError> parseAwsStsError(std::string_view xml) {
  auto doc = parseXml(xml);
  if (!doc) {
    return makeError(ErrorCode::kHttpUpstream,
                     "AWS STS answered an error with unreadable XML (" + doc.error().message + ")");
  }
  const XmlElement* error = doc->localName() == "ErrorResponse" ? doc->child("Error") : nullptr;
  if (error == nullptr || error->childText("Code").empty()) {
    return makeError(ErrorCode::kHttpUpstream,
                     "AWS STS answered a document that is not an ErrorResponse with a Code");
  }
  return AwsStsError{.type = std::string(error->childText("Type")),
                     .code = std::string(error->childText("Code")),
                     .message = std::string(error->childText("Message")),
                     .requestId = requestIdOf(*doc)};
}

Error classifyAwsStsError(int httpStatus, const AwsStsError& error) {
  const UpstreamMeaning meaning = meaningOf(kAwsMeanings, error.code, httpStatus);
  std::string message = "AWS STS refused AssumeRoleWithWebIdentity with " +
                        quoteUpstream(error.code, 64) + " (HTTP " + std::to_string(httpStatus) +
                        "): " + std::string(meaning.hint);
  if (!error.message.empty()) {
    message += ". AWS said: " + quoteUpstream(error.message);
  }
  if (!error.requestId.empty()) {
    message += " (request id " + quoteUpstream(error.requestId, 64) + ")";
  }
  return makeError(meaning.errorCode, std::move(message));
}

Result<AwsStsCredentials> readAssumeRoleWithWebIdentityResponse(int httpStatus,
                                                                std::string_view body) {
  if (httpStatus == 200) {
    return parseAssumeRoleWithWebIdentityResponse(body);
  }
  auto error = parseAwsStsError(body);
  if (!error) {
    return unexplainedStatus(kService, httpStatus);
  }
  return classifyAwsStsError(httpStatus, *error);
}

}  // namespace tessera::credentials
