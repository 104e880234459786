// Streaming uploads signed chunk by chunk (x-amz-content-sha256:
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD, Content-Encoding: aws-chunked): each chunk's signature
// chains from the previous one, starting at the request's own signature (the seed). Pure. The
// edge re-signs an upload's chunks with it after re-signing the request head.
#pragma once

#include <string>
#include <string_view>

#include "sigv4/signer.hpp"

namespace tessera::sigv4 {

class ChunkSigner {
 public:
  // `seedSignature`: the hex signature of the request head, signed with payloadHash
  // kStreamingPayload at the same time, region and service.
  ChunkSigner(const Credentials& credentials, SystemTime time, std::string_view region,
              std::string_view service, std::string seedSignature);

  // The signature of the next chunk; the upload ends with an empty chunk.
  std::string sign(std::string_view chunk);

  // The next chunk in aws-chunked framing: hex(size);chunk-signature=<sig>\r\n<data>\r\n.
  std::string frame(std::string_view chunk);

  const std::string& previousSignature() const { return previous_; }

 private:
  crypto::Sha256Digest key_;
  std::string prefix_;  // "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n"
  std::string previous_;
};

// The framed length of `decodedLength` bytes sent in chunks of `chunkSize` (the last one
// shorter) plus the final empty chunk: the Content-Length of an aws-chunked body.
std::uint64_t awsChunkedLength(std::uint64_t decodedLength, std::uint64_t chunkSize);

}  // namespace tessera::sigv4
