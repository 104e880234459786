// SigV4 re-signing: the edge drops the signature a workload made with placeholder keys and signs
// the request again with the grant's AWS credentials and session token. Pure (request head,
// credentials and now in; the rewritten head and a body transform out). Called by the HTTP proxy
// for server workloads with authentication method aws-sigv4.
//
// How the proxy calls it, per request:
//   1. r = resignSigV4(head, credentials, now), on the head as it will go upstream (after the
//      proxy's own rewrites: origin-form target, Host); change no header the client signed
//      afterwards (hop-by-hop headers are never signed). An error is the client's fault (4xx,
//      the message names the problem and never holds a secret).
//   2. If r->needsBody: the signature covers the SHA-256 of a body the client did not state in
//      x-amz-content-sha256 (services other than S3). `head` is untouched. Read the whole body
//      (after Transfer-Encoding decoding; more than kMaxHashedBodyBytes: answer 413), then call
//      resignSigV4WithBody(head, body, credentials, now) and send head and body.
//   3. Else if r->body: feed every byte of the body (after Transfer-Encoding decoding, in any
//      split) to r->body->feed(), send what it appends, and call finish() at the end of the body.
//      The output has exactly the input's length, so Content-Length (a signed header) and
//      x-amz-decoded-content-length stay as the client sent them; a client that sent
//      Transfer-Encoding: chunked gets the output re-framed by the proxy as usual. An error from
//      feed/finish means the body is malformed: abort the upstream request.
//   4. Else the body passes through unchanged.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "edge/body_transform.hpp"
#include "edge/http_head.hpp"
#include "sigv4/signer.hpp"

namespace tessera::edge {

// The largest chunk of a streaming upload the transform accepts (one chunk is buffered: its
// signature precedes its data). SDKs send 64 KiB to 8 MiB.
inline constexpr std::size_t kMaxResignChunkBytes = 16 * 1024 * 1024;
// The largest body resignSigV4WithBody hashes (the proxy holds it in memory meanwhile).
inline constexpr std::size_t kMaxHashedBodyBytes = 32 * 1024 * 1024;
// The largest Authorization header or presigned query accepted.
inline constexpr std::size_t kMaxAuthorizationBytes = 8192;

struct ResignResult {
  // For aws-chunked bodies signed chunk by chunk (x-amz-content-sha256
  // STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]): re-signs every chunk (and the trailer) from
  // the new seed signature, keeping the framing byte for byte. Null when the body passes
  // through unchanged.
  std::unique_ptr<BodyTransform> body;
  // The head was NOT re-signed: its signature must cover the body's hash, which only the body
  // gives. Call resignSigV4WithBody with the whole body.
  bool needsBody = false;
};

// Re-signs `head` in place. Reads region and service from the client's credential scope
// (Authorization header or X-Amz-Credential of a presigned URL); keeps the client's
// x-amz-content-sha256 mode (a hex hash, UNSIGNED-PAYLOAD, STREAMING-...); signs the headers the
// client signed; sets X-Amz-Date to `now`, X-Amz-Security-Token to the grant's (removing the
// client's placeholder) and Authorization. A presigned request is presigned again for the time it
// had left. kInvalidArgument (naming what is wrong) when the request carries no SigV4 signature
// to replace, is malformed, or its presigned URL has expired.
Result<ResignResult> resignSigV4(RequestHead& head, const sigv4::Credentials& credentials,
                                 SystemTime now);

// Step two when resignSigV4 answered needsBody: re-signs `head` with the SHA-256 of `body`
// (the whole request body, decoded from any Transfer-Encoding). kPayloadTooLarge over
// kMaxHashedBodyBytes; otherwise the errors of resignSigV4.
Result<void> resignSigV4WithBody(RequestHead& head, std::string_view body,
                                 const sigv4::Credentials& credentials, SystemTime now);

}  // namespace tessera::edge
