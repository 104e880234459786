// The wire format of AWS STS AssumeRoleWithWebIdentity (Query API, version 2011-06-15): the
// request the AWS STS credential provider sends, the XML it gets back (credentials or an
// ErrorResponse), and what each AWS error code means for the decision and for retries. Pure: no
// I/O. Called by the AWS STS credential provider (src/credentials) and its tests.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "net/http_client.hpp"

namespace tessera::credentials {

inline constexpr std::string_view kAwsStsApiVersion = "2011-06-15";
// The audience AWS expects in web identity tokens minted for STS (an IAM OIDC provider's client
// id by convention).
inline constexpr std::string_view kAwsStsAudience = "sts.amazonaws.com";
inline constexpr Seconds kAwsMinSessionDuration{900};
inline constexpr Seconds kAwsMaxSessionDuration{43200};

// https://sts.<region>.amazonaws.com/ (".amazonaws.com.cn" in the China partition; the GovCloud
// regions follow the standard pattern). kConfigInvalid unless `region` looks like an AWS region
// ("us-east-1", "cn-north-1", "us-gov-west-1").
Result<std::string> awsStsRegionalEndpoint(std::string_view region);

// A RoleSessionName for `identity` (a client workload's verified identity): at most 64
// characters of [A-Za-z0-9_+=,.@-], at least 2, the same for the same identity. Characters AWS
// does not allow become '-'. When the name is not the identity verbatim (a character replaced,
// or longer than 64), it ends in '-' and 8 hex digits of SHA-256(identity), so two identities
// that read alike still get different names; the readable part is cut to make room.
std::string deriveRoleSessionName(std::string_view identity);

struct AssumeRoleWithWebIdentityRequest {
  std::string endpoint{};  // e.g. awsStsRegionalEndpoint("eu-west-1")
  std::string roleArn{};
  std::string roleSessionName{};
  std::string webIdentityToken{};
  std::optional<Seconds> duration{};      // DurationSeconds; AWS defaults to 3600
  std::optional<std::string> policy{};    // inline session policy (JSON)
  std::vector<std::string> policyArns{};  // managed session policies, at most 10
};

// POST <endpoint> with the form body (Action, Version, RoleArn, RoleSessionName,
// WebIdentityToken[, DurationSeconds][, Policy][, PolicyArns.member.N.arn]) and Content-Type
// "application/x-www-form-urlencoded; charset=utf-8"; no Authorization (the action is unsigned).
// kInvalidArgument when a parameter breaks AWS's constraints: RoleArn 20-2048 characters starting
// "arn:", RoleSessionName 2-64 of [\w+=,.@-], token 4-20000 characters, duration 900-43200 s,
// policy 1-2048 characters of tab, LF, CR, U+0020-U+00FF, at most 10 policy ARNs.
Result<net::ClientRequest> buildAssumeRoleWithWebIdentity(
    const AssumeRoleWithWebIdentityRequest& request);

// The claims of the web identity token the hub signs for STS: iss = the hub issuer, sub = the
// client workload identity, aud = sts.amazonaws.com (unless `audience` names another client id
// of the IAM OIDC provider), integer iat/nbf/exp. Lifetime at most 1 h.
Result<nlohmann::json> awsWebIdentityTokenClaims(std::string_view issuer, std::string_view subject,
                                                 SystemTime now, Seconds lifetime = Seconds(300),
                                                 std::string_view audience = kAwsStsAudience);

struct AwsStsCredentials {
  std::string accessKeyId{};
  std::string secretAccessKey{};
  std::string sessionToken{};
  SystemTime expiration{};
  std::string assumedRoleArn{};  // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
  std::string assumedRoleId{};   // AROA...:SESSION
  std::string subjectFromWebIdentityToken{};
  std::string audience{};
  std::string provider{};
  std::string sourceIdentity{};
  std::optional<int> packedPolicySize{};
  std::string requestId{};
};

// Reads an AssumeRoleWithWebIdentityResponse document. kHttpUpstream when it is not one, or lacks
// AccessKeyId, SecretAccessKey, SessionToken, Expiration (RFC 3339) or AssumedRoleUser/Arn.
Result<AwsStsCredentials> parseAssumeRoleWithWebIdentityResponse(std::string_view xml);

struct AwsStsError {
  std::string type{};  // "Sender" / "Receiver"
  std::string code{};  // e.g. "InvalidIdentityToken"
  std::string message{};
  std::string requestId{};
};

// Reads an ErrorResponse document (ErrorResponse/Error/{Type,Code,Message}, RequestId).
// kHttpUpstream when it is not one.
Result<AwsStsError> parseAwsStsError(std::string_view xml);

// What an AWS error code means: the Error for the decision (codes per upstream_response.hpp: only
// IDPCommunicationError, throttling and server-side failures are retryable) with a message that
// names the code, says what to check, and quotes AWS's message and request id.
Error classifyAwsStsError(int httpStatus, const AwsStsError& error);

// The whole answer: HTTP 200 -> the credentials; otherwise the classified ErrorResponse, or
// unexplainedStatus() when the body is not one.
Result<AwsStsCredentials> readAssumeRoleWithWebIdentityResponse(int httpStatus,
                                                                std::string_view body);

}  // namespace tessera::credentials
