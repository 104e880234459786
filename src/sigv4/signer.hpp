// AWS Signature Version 4: the canonical request, the string to sign, the signing key, and the
// Authorization header or presigned query that carry the signature. Pure: a request, credentials
// and a time in; the headers or query to put on the request out. The edge re-signs a workload's
// AWS requests with a grant's credentials through it (streaming chunk signatures are in
// chunk_signer.hpp); tests check it against the AWS SigV4 test suite, botocore and
// @smithy/signature-v4.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/digest.hpp"

namespace tessera::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kStreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
// A presigned URL is valid for at most seven days.
inline constexpr std::chrono::seconds kMaxPresignExpiry{604800};

struct Credentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;  // empty for long-term credentials
};

// A request as it is on the wire.
struct Request {
  std::string method;
  std::string path;   // the path of the request target, without the query
  std::string query;  // the query, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // in order; names in any case
};

struct SigningParams {
  std::string region;
  std::string service;
  SystemTime time;
  // The canonical request's last line: the body's lowercase hex SHA-256, UNSIGNED-PAYLOAD, or a
  // STREAMING-* value.
  std::string payloadHash{kEmptyPayloadHash};
  // S3 signs the path exactly as sent. Every other service signs it with dot segments and
  // repeated slashes removed (when normalizePath) and then percent-encoded again, as botocore
  // does: a path sent as /a%20b is signed as /a%2520b.
  bool s3PathRules = false;
  bool normalizePath = true;
  // Adds and signs x-amz-content-sha256 = payloadHash (S3 requires it).
  bool addContentSha256 = false;
  // Puts the session token on the request without signing it (the test suite's
  // post-sts-header-after; a few services want that).
  bool omitSessionToken = false;
  // The lowercase names of the headers to sign, e.g. those the client signed. Empty: every header
  // of the request but those neither botocore nor the JavaScript SDK signs (hop-by-hop,
  // user-agent, cache-control, proxy-*, sec-*, ...). host,
  // x-amz-date, the session token and x-amz-content-sha256 are signed in either case.
  std::vector<std::string> signedHeaders;
};

// The result of signing, with the intermediate forms (tests and the explain trace use them).
struct Signature {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signature;      // lowercase hex
  std::string signedHeaders;  // "host;x-amz-date"
};

struct HeaderSignature : Signature {
  // Headers to set on the request, replacing any of the same name (case-insensitive): X-Amz-Date,
  // X-Amz-Security-Token, x-amz-content-sha256 and Authorization.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct QuerySignature : Signature {
  // The request's new query: its own parameters (any X-Amz-* authentication parameters it had
  // removed), then X-Amz-Algorithm ... X-Amz-Signature.
  std::string query;
};

// Signs in the Authorization header. The request's own Authorization, X-Amz-Date and
// X-Amz-Security-Token (and x-amz-content-sha256 with addContentSha256) are ignored: they are
// replaced. kInvalidArgument for missing credentials, region or service, no Host header, or a
// malformed percent-escape in the query.
Result<HeaderSignature> signHeaders(const Request& request, const Credentials& credentials,
                                    const SigningParams& params);

// Presigns in the query (X-Amz-Expires = expires, 1 s to 7 days). The payload line is
// params.payloadHash (S3 presigning uses UNSIGNED-PAYLOAD).
Result<QuerySignature> presign(const Request& request, const Credentials& credentials,
                               const SigningParams& params, std::chrono::seconds expires);

// The pieces, for the chunk signer and the tests.
std::string amzDate(SystemTime time);    // 20150830T123600Z
std::string scopeDate(SystemTime time);  // 20150830
std::string credentialScope(SystemTime time, std::string_view region, std::string_view service);
crypto::Sha256Digest signingKey(std::string_view secretAccessKey, std::string_view date,
                                std::string_view region, std::string_view service);
std::string canonicalPath(std::string_view path, bool s3PathRules, bool normalizePath);
// The query's parameters decoded and encoded again with SigV4's unreserved set, sorted by name
// then value; kInvalidArgument for a malformed percent-escape.
Result<std::string> canonicalQuery(std::string_view query);
// Percent-encodes every byte but A-Z a-z 0-9 - _ . ~ (and '/' when keepSlash), uppercase hex.
std::string uriEncode(std::string_view text, bool keepSlash);

}  // namespace tessera::sigv4
