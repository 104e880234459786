#include "sigv4/chunk_signer.hpp"

#include <cstdio>

namespace tessera::sigv4 {

namespace {
constexpr std::string_view kChunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::size_t kSignatureHexLength = 64;

std::string hexSize(std::uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(n));
  return buf;
}

// hex(size) ";chunk-signature=" signature CRLF data CRLF
std::uint64_t framedChunkLength(std::uint64_t size) {
  return hexSize(size).size() + std::string_view(";chunk-signature=").size() + kSignatureHexLength +
         2 + size + 2;
}
}  // namespace

ChunkSigner::ChunkSigner(const Credentials& credentials, SystemTime time, std::string_view region,
                         std::string_view service, std::string seedSignature)
    : key_(signingKey(credentials.secretAccessKey, scopeDate(time), region, service)),
      prefix_(std::string(kChunkAlgorithm) + "\n" + amzDate(time) + "\n" +
              credentialScope(time, region, service) + "\n"),
      previous_(std::move(seedSignature)) {}

std::string ChunkSigner::sign(std::string_view chunk) {
  const std::string stringToSign = prefix_ + previous_ + "\n" + std::string(kEmptyPayloadHash) +
                                   "\n" + crypto::toHex(crypto::sha256(chunk));
  previous_ = crypto::toHex(crypto::hmacSha256(key_, stringToSign));
  return previous_;
}

std::string ChunkSigner::frame(std::string_view chunk) {
  const std::string signature = sign(chunk);
  std::string out = hexSize(chunk.size()) + ";chunk-signature=" + signature + "\r\n";
  out.append(chunk);
  out += "\r\n";
  return out;
}

std::uint64_t awsChunkedLength(std::uint64_t decodedLength, std::uint64_t chunkSize) {
  if (chunkSize == 0) {
    return 0;
  }
  const std::uint64_t full = decodedLength / chunkSize;
  const std::uint64_t rest = decodedLength % chunkSize;
  return full * framedChunkLength(chunkSize) + (rest > 0 ? framedChunkLength(rest) : 0) +
         framedChunkLength(0);
}

}  // namespace tessera::sigv4
