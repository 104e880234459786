#include "sigv4/aws_chunked_decoder.hpp"

#include "common/hex_digit.hpp"

namespace tessera::sigv4 {

namespace {
// "<hex size>;chunk-signature=<64 hex>" is 8 + 17 + 64 characters for the largest chunk; a line
// far longer is not aws-chunked framing.
constexpr std::size_t kMaxLineBytes = 256;
constexpr std::size_t kMaxTrailerLines = 16;
constexpr std::string_view kSignatureExtension = "chunk-signature=";
}  // namespace

Result<void> AwsChunkedDecoder::fail(std::string message) {
  state_ = State::kFailed;
  return tessera::fail(ErrorCode::kInvalidArgument, "aws-chunked body: " + std::move(message));
}

Result<void> AwsChunkedDecoder::parseHeader(std::string_view line) {
  const auto semicolon = line.find(';');
  const auto sizeText = line.substr(0, semicolon);
  if (sizeText.empty() || sizeText.size() > 8) {
    return fail("chunk size is missing or longer than 8 hex digits");
  }
  std::size_t size = 0;
  for (char c : sizeText) {
    const int digit = hexDigitValue(c);
    if (digit < 0) {
      return fail("chunk size is not hexadecimal");
    }
    size = size * 16 + static_cast<std::size_t>(digit);
  }
  if (size > maxChunkBytes_) {
    return fail("a chunk of " + std::to_string(size) + " bytes exceeds the limit of " +
                std::to_string(maxChunkBytes_));
  }
  // The client's signature is not checked (the edge signs again); its shape is.
  if (semicolon != std::string_view::npos) {
    const auto extension = line.substr(semicolon + 1);
    if (!extension.starts_with(kSignatureExtension) ||
        extension.size() != kSignatureExtension.size() + 64) {
      return fail("chunk extension is not chunk-signature=<64 hex digits>");
    }
  }
  remaining_ = size;
  data_.clear();
  data_.reserve(size);
  state_ = size == 0 ? State::kTrailer : State::kData;
  return {};
}

Result<void> AwsChunkedDecoder::feed(std::string_view input, std::vector<std::string>& chunks) {
  std::size_t trailerLines = 0;
  while (!input.empty()) {
    switch (state_) {
      case State::kFailed:
        return tessera::fail(ErrorCode::kInvalidArgument, "aws-chunked body: already failed");
      case State::kDone:
        return fail("bytes after the final chunk");
      case State::kHeader:
      case State::kTrailer: {
        const auto newline = input.find('\n');
        line_.append(input.substr(0, newline));
        if (line_.size() > kMaxLineBytes + 1) {
          return fail("a framing line is longer than " + std::to_string(kMaxLineBytes) + " bytes");
        }
        if (newline == std::string_view::npos) {
          return {};  // the rest of the line comes with the next bytes
        }
        input.remove_prefix(newline + 1);
        if (line_.empty() || line_.back() != '\r') {
          return fail("a framing line does not end with CRLF");
        }
        line_.pop_back();
        const std::string line = std::move(line_);
        line_.clear();
        if (state_ == State::kHeader) {
          TESSERA_RETURN_IF_ERROR(parseHeader(line));
        } else if (line.empty()) {
          state_ = State::kDone;
        } else if (++trailerLines > kMaxTrailerLines || line.find(':') == std::string::npos) {
          return fail("a trailer is not a header field, or there are too many");
        }
        break;
      }
      case State::kData: {
        const std::size_t n = std::min(remaining_, input.size());
        data_.append(input.substr(0, n));
        input.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = State::kDataEnd;
        }
        break;
      }
      case State::kDataEnd: {
        const std::size_t n = std::min(2 - line_.size(), input.size());
        line_.append(input.substr(0, n));
        input.remove_prefix(n);
        if (line_.size() < 2) {
          return {};
        }
        if (line_ != "\r\n") {
          return fail("a chunk's data is not followed by CRLF");
        }
        line_.clear();
        decoded_ += data_.size();
        chunks.push_back(std::move(data_));
        data_.clear();
        state_ = State::kHeader;
        break;
      }
    }
  }
  return {};
}

}  // namespace tessera::sigv4
