// Reads an aws-chunked body (Content-Encoding: aws-chunked, a streaming SigV4 upload) as the
// client framed it — "<hex size>;chunk-signature=<64 hex>\r\n<data>\r\n" ... "0;...\r\n\r\n" —
// so that the edge can sign each chunk again with ChunkSigner. Incremental (bytes arrive as the
// network delivers them), bounded (one chunk buffered at most), strict about the framing. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tessera::sigv4 {

class AwsChunkedDecoder {
 public:
  static constexpr std::size_t kDefaultMaxChunkBytes = 16 * 1024 * 1024;

  explicit AwsChunkedDecoder(std::size_t maxChunkBytes = kDefaultMaxChunkBytes)
      : maxChunkBytes_(maxChunkBytes) {}

  // Consumes `input` and appends every chunk it completes (data only; the final empty chunk is
  // not appended, done() turns true instead). kInvalidArgument, naming what is wrong, for bad
  // framing, a chunk over the limit, or bytes after the end; the decoder is then unusable.
  Result<void> feed(std::string_view input, std::vector<std::string>& chunks);

  // The final chunk and the blank line after it (or its trailers) were read.
  bool done() const { return state_ == State::kDone; }
  // Payload bytes decoded so far (x-amz-decoded-content-length when done).
  std::uint64_t decodedBytes() const { return decoded_; }

 private:
  enum class State { kHeader, kData, kDataEnd, kTrailer, kDone, kFailed };
  Result<void> fail(std::string message);
  Result<void> parseHeader(std::string_view line);

  std::size_t maxChunkBytes_;
  State state_ = State::kHeader;
  std::string line_;  // the chunk header or trailer line being read
  std::string data_;  // the chunk being read
  std::size_t remaining_ = 0;
  std::uint64_t decoded_ = 0;
};

}  // namespace tessera::sigv4
