#include "edge/sigv4_resigner.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/hex_digit.hpp"
#include "crypto/digest.hpp"
#include "sigv4/chunk_signer.hpp"

namespace tessera::edge {

namespace {

constexpr std::string_view kSignedTrailerPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
constexpr std::string_view kUnsignedTrailerPayload = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
constexpr std::size_t kSignatureHexLength = 64;
constexpr std::size_t kMaxSignedHeaders = 64;
// A chunk header is at most "<8 hex digits>;chunk-signature=<64 hex>" (89 bytes); a checksum
// trailer is far shorter than this.
constexpr std::size_t kMaxChunkLineBytes = 256;
constexpr std::size_t kMaxTrailerLineBytes = 1024;
constexpr std::size_t kMaxTrailers = 16;
constexpr std::string_view kChunkSignatureExtension = ";chunk-signature=";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";

Error invalid(std::string message) {
  return makeError(ErrorCode::kInvalidArgument, "SigV4 re-signing: " + std::move(message));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool isHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return hexDigitValue(c) >= 0; });
}

bool isSignature(std::string_view s) {
  return s.size() == kSignatureHexLength && isHex(s);
}

bool isDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Region and service names: letters, digits, '-', '_' and '.'.
bool isScopeName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

bool isHeaderName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

// What the client's signature says about itself. The access key id and the signature are not
// kept: they are the client's placeholders.
struct ClientSignature {
  std::string region;
  std::string service;
  std::vector<std::string> signedHeaders;
};

// "<akid>/<yyyymmdd>/<region>/<service>/aws4_request"
Result<void> parseCredential(std::string_view credential, ClientSignature& out) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (parts.size() < 6) {
    const auto slash = credential.find('/', start);
    parts.push_back(credential.substr(start, slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  if (parts.size() != 5) {
    return invalid("the credential is not <access key id>/<date>/<region>/<service>/aws4_request");
  }
  if (parts[0].empty()) {
    return invalid("the credential has no access key id");
  }
  if (parts[1].size() != 8 || !isDigits(parts[1])) {
    return invalid("the credential scope's date is not YYYYMMDD");
  }
  if (!isScopeName(parts[2])) {
    return invalid("the credential scope's region is empty or not a name");
  }
  if (!isScopeName(parts[3])) {
    return invalid("the credential scope's service is empty or not a name");
  }
  if (parts[4] != "aws4_request") {
    return invalid("the credential scope does not end with aws4_request");
  }
  out.region = std::string(parts[2]);
  out.service = std::string(parts[3]);
  return {};
}

Result<void> parseSignedHeaders(std::string_view list, ClientSignature& out) {
  if (list.empty()) {
    return invalid("SignedHeaders is empty");
  }
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto semicolon = std::min(list.find(';', start), list.size());
    const auto name = list.substr(start, semicolon - start);
    if (!isHeaderName(name)) {
      return invalid("SignedHeaders holds an empty or non-lowercase header name");
    }
    if (out.signedHeaders.size() == kMaxSignedHeaders) {
      return invalid("SignedHeaders names more than " + std::to_string(kMaxSignedHeaders) +
                     " headers");
    }
    out.signedHeaders.emplace_back(name);
    start = semicolon + 1;
  }
  if (std::find(out.signedHeaders.begin(), out.signedHeaders.end(), "host") ==
      out.signedHeaders.end()) {
    return invalid("SignedHeaders does not include host");
  }
  return {};
}

// AWS4-HMAC-SHA256 Credential=<credential>, SignedHeaders=<a;b>, Signature=<64 hex>
Result<ClientSignature> parseAuthorization(std::string_view header) {
  if (header.size() > kMaxAuthorizationBytes) {
    return invalid("the Authorization header is longer than " +
                   std::to_string(kMaxAuthorizationBytes) + " bytes");
  }
  const auto space = header.find(' ');
  const auto scheme = header.substr(0, space);
  if (scheme != sigv4::kAlgorithm) {
    if (scheme.starts_with("AWS4-ECDSA-P256-SHA256")) {
      return invalid("SigV4a (AWS4-ECDSA-P256-SHA256) signatures are not supported");
    }
    if (scheme == "AWS") {
      return invalid("Signature Version 2 (Authorization: AWS) is not supported; use SigV4");
    }
    return invalid("the Authorization header is not AWS4-HMAC-SHA256");
  }
  if (space == std::string_view::npos) {
    return invalid("the Authorization header has no Credential, SignedHeaders and Signature");
  }
  std::optional<std::string_view> credential;
  std::optional<std::string_view> signedHeaders;
  std::optional<std::string_view> signature;
  std::string_view rest = header.substr(space + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return invalid("the Authorization header holds a component that is not name=value");
    }
    const auto name = item.substr(0, eq);
    const auto value = item.substr(eq + 1);
    std::optional<std::string_view>* slot = name == "Credential"      ? &credential
                                            : name == "SignedHeaders" ? &signedHeaders
                                            : name == "Signature"     ? &signature
                                                                      : nullptr;
    if (slot == nullptr) {
      return invalid(
          "the Authorization header has an unknown component (expected Credential, "
          "SignedHeaders and Signature)");
    }
    if (slot->has_value()) {
      return invalid("the Authorization header repeats " + std::string(name));
    }
    *slot = value;
  }
  if (!credential || !signedHeaders || !signature) {
    return invalid("the Authorization header lacks " + std::string(!credential ? "Credential"
                                                                   : !signedHeaders
                                                                       ? "SignedHeaders"
                                                                       : "Signature"));
  }
  if (!isSignature(*signature)) {
    return invalid("the Authorization header's Signature is not 64 hex digits");
  }
  ClientSignature out;
  TESSERA_RETURN_IF_ERROR(parseCredential(*credential, out));
  TESSERA_RETURN_IF_ERROR(parseSignedHeaders(*signedHeaders, out));
  return out;
}

// S3 and the services that share its signing rules: the path is signed as sent, and the
// payload line is x-amz-content-sha256 (UNSIGNED-PAYLOAD for presigned URLs).
bool s3SigningRules(std::string_view service) {
  return service == "s3" || service == "s3-object-lambda" || service == "s3express";
}

bool hasBody(const RequestHead& head) {
  if (head.headers.contains("transfer-encoding")) {
    return true;
  }
  const auto length = head.headers.get("content-length");
  return length && trim(*length) != "0";
}

std::size_t countFields(const RequestHead& head, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(
      head.headers.begin(), head.headers.end(),
      [&](const net::Headers::Field& f) { return net::equalsIgnoreCase(f.first, name); }));
}

// "20150830T123600Z"
std::optional<SystemTime> parseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !isDigits(s.substr(0, 8)) ||
      !isDigits(s.substr(9, 6))) {
    return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t n) {
    return std::stoi(std::string(s.substr(at, n)));
  };
  const std::chrono::year_month_day ymd{std::chrono::year(number(0, 4)),
                                        std::chrono::month(static_cast<unsigned>(number(4, 2))),
                                        std::chrono::day(static_cast<unsigned>(number(6, 2)))};
  const int hours = number(9, 2);
  const int minutes = number(11, 2);
  const int seconds = number(13, 2);
  // system_clock counts nanoseconds in 64 bits: years past 2262 would overflow it.
  if (!ymd.ok() || ymd.year() < std::chrono::year(1970) || ymd.year() > std::chrono::year(2200) ||
      hours > 23 || minutes > 59 || seconds > 60) {
    return std::nullopt;
  }
  return SystemTime(std::chrono::sys_days(ymd)) + std::chrono::hours(hours) +
         std::chrono::minutes(minutes) + std::chrono::seconds(seconds);
}

std::optional<std::uint64_t> parseLength(std::string_view s) {
  s = trim(s);
  if (!isDigits(s) || s.size() > 18) {
    return std::nullopt;
  }
  return std::stoull(std::string(s));
}

sigv4::Request signingRequest(const RequestHead& head) {
  sigv4::Request r;
  r.method = head.method;
  const auto q = head.target.find('?');
  r.path = head.target.substr(0, q);
  r.query = q == std::string::npos ? "" : head.target.substr(q + 1);
  for (const auto& [name, value] : head.headers) {
    r.headers.emplace_back(name, value);
  }
  return r;
}

// Re-emits an aws-chunked body with every chunk signature (and the trailer signature) made
// again with the grant's key, chained from the new seed signature. The client's sizes, trailers
// and framing are kept byte for byte, so the output is as long as the input.
class ChunkResigner final : public BodyTransform {
 public:
  ChunkResigner(const sigv4::Credentials& credentials, SystemTime time, const std::string& region,
                const std::string& service, std::string seedSignature, bool trailer,
                std::optional<std::uint64_t> decodedLength)
      : chunks_(credentials, time, region, service, std::move(seedSignature)),
        key_(sigv4::signingKey(credentials.secretAccessKey, sigv4::scopeDate(time), region,
                               service)),
        trailerPrefix_("AWS4-HMAC-SHA256-TRAILER\n" + sigv4::amzDate(time) + "\n" +
                       sigv4::credentialScope(time, region, service) + "\n"),
        trailer_(trailer),
        decodedLength_(decodedLength) {}

  Result<void> feed(std::string_view in, std::string& out) override {
    if (state_ == State::kFailed) {
      return fail("the body already failed");
    }
    in_ += in.size();
    while (!in.empty()) {
      switch (state_) {
        case State::kFailed:
          return fail("the body already failed");
        case State::kDone:
          return fail("bytes after the end of the body");
        case State::kChunkHeader:
        case State::kAfterFinal:
        case State::kTrailer: {
          const std::size_t limit =
              state_ == State::kChunkHeader ? kMaxChunkLineBytes : kMaxTrailerLineBytes;
          const auto newline = in.find('\n');
          const auto piece = in.substr(0, newline);
          // Checked before appending, so that a long feed without a newline is not copied.
          if (line_.size() + piece.size() > limit + 1) {
            return fail("a framing line is longer than " + std::to_string(limit) + " bytes");
          }
          line_.append(piece);
          if (newline == std::string_view::npos) {
            return {};
          }
          in.remove_prefix(newline + 1);
          if (line_.empty() || line_.back() != '\r') {
            return fail("a framing line does not end with CRLF");
          }
          line_.pop_back();
          std::string line = std::move(line_);
          line_.clear();
          TESSERA_RETURN_IF_ERROR(state_ == State::kChunkHeader ? chunkHeader(line, out)
                                  : state_ == State::kAfterFinal
                                      ? afterFinal(line, out)
                                      : trailerLine(std::move(line), out));
          break;
        }
        case State::kData: {
          const std::size_t n = std::min(remaining_, in.size());
          data_.append(in.substr(0, n));
          in.remove_prefix(n);
          remaining_ -= n;
          if (remaining_ == 0) {
            state_ = State::kDataEnd;
          }
          break;
        }
        case State::kDataEnd: {
          const std::size_t n = std::min(2 - line_.size(), in.size());
          line_.append(in.substr(0, n));
          in.remove_prefix(n);
          if (line_.size() < 2) {
            return {};
          }
          if (line_ != "\r\n") {
            return fail("a chunk's data is not followed by CRLF");
          }
          line_.clear();
          emitChunk(sizeText_, data_, out);
          out += "\r\n";
          out_ += 2;
          decoded_ += data_.size();
          data_.clear();
          data_.shrink_to_fit();
          state_ = State::kChunkHeader;
          break;
        }
      }
    }
    return {};
  }

  Result<void> finish(std::string& /*out*/) override {
    if (state_ == State::kFailed) {
      return fail("the body already failed");
    }
    if (state_ != State::kDone) {
      return fail("the body ended before its final chunk");
    }
    if (in_ != out_) {
      // Cannot happen: every line is re-emitted with the length it came with.
      return makeError(ErrorCode::kInternal, "aws-chunked body: the re-signed body changed length");
    }
    return {};
  }

 private:
  enum class State { kChunkHeader, kData, kDataEnd, kAfterFinal, kTrailer, kDone, kFailed };

  Error fail(std::string message) {
    state_ = State::kFailed;
    return makeError(ErrorCode::kInvalidArgument, "aws-chunked body: " + std::move(message));
  }

  void emitChunk(std::string_view sizeText, std::string_view data, std::string& out) {
    const std::string signature = chunks_.sign(data);
    const std::size_t before = out.size();
    out.append(sizeText);
    out.append(kChunkSignatureExtension);
    out.append(signature);
    out.append("\r\n");
    out.append(data);
    out_ += out.size() - before;
  }

  // "<hex size>;chunk-signature=<64 hex>": the size is kept as the client wrote it.
  Result<void> chunkHeader(std::string_view line, std::string& out) {
    const auto semicolon = line.find(';');
    if (semicolon == std::string_view::npos) {
      return fail("a chunk header has no chunk-signature (is the body signed chunk by chunk?)");
    }
    const auto sizeText = line.substr(0, semicolon);
    const auto extension = line.substr(semicolon);
    if (sizeText.empty() || sizeText.size() > 8 || !isHex(sizeText)) {
      return fail("a chunk size is not 1 to 8 hex digits");
    }
    if (!extension.starts_with(kChunkSignatureExtension) ||
        !isSignature(extension.substr(kChunkSignatureExtension.size()))) {
      return fail("a chunk extension is not chunk-signature=<64 hex digits>");
    }
    std::size_t size = 0;
    for (char c : sizeText) {
      size = size * 16 + static_cast<std::size_t>(hexDigitValue(c));
    }
    if (size > kMaxResignChunkBytes) {
      return fail("a chunk of " + std::to_string(size) + " bytes exceeds the limit of " +
                  std::to_string(kMaxResignChunkBytes));
    }
    if (decodedLength_ && decoded_ + size > *decodedLength_) {
      return fail("the chunks hold more than x-amz-decoded-content-length bytes");
    }
    if (size == 0) {
      if (decodedLength_ && decoded_ != *decodedLength_) {
        return fail("the chunks hold fewer than x-amz-decoded-content-length bytes");
      }
      emitChunk(sizeText, {}, out);
      state_ = trailer_ ? State::kTrailer : State::kAfterFinal;
      return {};
    }
    sizeText_ = std::string(sizeText);
    remaining_ = size;
    data_.reserve(size);
    state_ = State::kData;
    return {};
  }

  // The final chunk's empty data line (no trailers in this mode).
  Result<void> afterFinal(std::string_view line, std::string& out) {
    if (!line.empty()) {
      return fail("the final chunk is not followed by CRLF (trailers need a -TRAILER payload)");
    }
    out += "\r\n";
    out_ += 2;
    state_ = State::kDone;
    return {};
  }

  // Trailer fields, then x-amz-trailer-signature:<64 hex>, then an empty line. The trailers are
  // kept as sent; the signature is made again over them.
  Result<void> trailerLine(std::string line, std::string& out) {
    if (trailerSigned_) {
      if (!line.empty()) {
        return fail("x-amz-trailer-signature is not the last trailer");
      }
      out += "\r\n";
      out_ += 2;
      state_ = State::kDone;
      return {};
    }
    const auto colon = line.find(':');
    if (line.empty() || colon == std::string::npos || colon == 0) {
      return fail(line.empty() ? "the trailer has no x-amz-trailer-signature"
                               : "a trailer is not a header field");
    }
    const std::string name = lower(trim(std::string_view(line).substr(0, colon)));
    const auto value = trim(std::string_view(line).substr(colon + 1));
    if (name == kTrailerSignatureName) {
      if (!isSignature(value) || !line.ends_with(value)) {
        return fail("x-amz-trailer-signature is not 64 hex digits");
      }
      std::sort(canonicalTrailers_.begin(), canonicalTrailers_.end());
      std::string canonical;
      for (const auto& t : canonicalTrailers_) {
        canonical += t + "\n";
      }
      const std::string stringToSign = trailerPrefix_ + chunks_.previousSignature() + "\n" +
                                       crypto::toHex(crypto::sha256(canonical));
      const std::string signature = crypto::toHex(crypto::hmacSha256(key_, stringToSign));
      line.replace(line.size() - kSignatureHexLength, kSignatureHexLength, signature);
      trailerSigned_ = true;
    } else {
      if (canonicalTrailers_.size() == kMaxTrailers) {
        return fail("more than " + std::to_string(kMaxTrailers) + " trailers");
      }
      canonicalTrailers_.push_back(name + ":" + std::string(value));
    }
    out += line;
    out += "\r\n";
    out_ += line.size() + 2;
    return {};
  }

  sigv4::ChunkSigner chunks_;
  crypto::Sha256Digest key_;
  std::string trailerPrefix_;
  bool trailer_;
  std::optional<std::uint64_t> decodedLength_;
  State state_ = State::kChunkHeader;
  std::string line_;
  std::string sizeText_;
  std::string data_;
  std::size_t remaining_ = 0;
  std::uint64_t decoded_ = 0;
  std::uint64_t in_ = 0;
  std::uint64_t out_ = 0;
  std::vector<std::string> canonicalTrailers_;
  bool trailerSigned_ = false;
};

// The payload line of the canonical request for a header-signed request, and whether its body
// is signed chunk by chunk.
struct Payload {
  std::string hash;
  bool needsBody = false;
  bool streaming = false;
  bool trailer = false;
};

Result<Payload> headerPayload(const RequestHead& head, const std::optional<std::string>& bodyHash) {
  if (countFields(head, "x-amz-content-sha256") > 1) {
    return invalid("the request repeats x-amz-content-sha256");
  }
  const auto stated = head.headers.get("x-amz-content-sha256");
  Payload p;
  if (!stated) {
    // The signature covers the body's hash and the client did not say what it is.
    if (bodyHash) {
      p.hash = *bodyHash;
    } else if (!hasBody(head)) {
      p.hash = std::string(sigv4::kEmptyPayloadHash);
    } else {
      p.needsBody = true;
    }
    return p;
  }
  const auto value = trim(*stated);
  p.hash = std::string(value);
  if (isSignature(value) || value == sigv4::kUnsignedPayload || value == kUnsignedTrailerPayload) {
    return p;  // the body carries no signature: it passes through
  }
  if (value == sigv4::kStreamingPayload || value == kSignedTrailerPayload) {
    p.streaming = true;
    p.trailer = value == kSignedTrailerPayload;
    return p;
  }
  if (value.starts_with("STREAMING-AWS4-ECDSA-P256-SHA256")) {
    return invalid("SigV4a streaming payloads (" + std::string(value) + ") are not supported");
  }
  return invalid(
      "x-amz-content-sha256 is neither a SHA-256 hex digest, UNSIGNED-PAYLOAD nor a "
      "supported STREAMING-* value");
}

Result<ResignResult> resignHeaderSigned(RequestHead& head, const sigv4::Credentials& credentials,
                                        SystemTime now, const std::optional<std::string>& bodyHash,
                                        std::string_view authorization) {
  TESSERA_DECLARE_OR_RETURN(const auto client, parseAuthorization(authorization));
  for (const auto& name : client.signedHeaders) {
    // The date and the token are the signer's to set; every other signed header must be there
    // to be signed again.
    if (name != "x-amz-date" && name != "x-amz-security-token" && !head.headers.contains(name)) {
      return invalid("the client signed the header " + name + ", which the request lacks");
    }
  }
  TESSERA_DECLARE_OR_RETURN(auto payload, headerPayload(head, bodyHash));
  ResignResult result;
  if (payload.needsBody) {
    result.needsBody = true;
    return result;
  }
  std::optional<std::uint64_t> decodedLength;
  if (payload.streaming) {
    if (const auto declared = head.headers.get("x-amz-decoded-content-length")) {
      decodedLength = parseLength(*declared);
      if (!decodedLength) {
        return invalid("x-amz-decoded-content-length is not a number");
      }
    }
  }
  sigv4::SigningParams params;
  params.region = client.region;
  params.service = client.service;
  params.time = now;
  params.payloadHash = payload.hash;
  params.s3PathRules = s3SigningRules(client.service);
  params.normalizePath = !params.s3PathRules;
  params.signedHeaders = client.signedHeaders;
  TESSERA_DECLARE_OR_RETURN(auto signature,
                            sigv4::signHeaders(signingRequest(head), credentials, params));
  // The client's placeholder token goes even when the grant has none to put in its place.
  head.headers.remove("x-amz-security-token");
  for (auto& [name, value] : signature.headers) {
    head.headers.set(name, std::move(value));
  }
  if (payload.streaming) {
    result.body = std::make_unique<ChunkResigner>(credentials, now, client.region, client.service,
                                                  std::move(signature.signature), payload.trailer,
                                                  decodedLength);
  }
  return result;
}

bool isAuthParameter(std::string_view name) {
  return name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Date" ||
         name == "X-Amz-Expires" || name == "X-Amz-SignedHeaders" || name == "X-Amz-Signature";
}

Result<ResignResult> resignPresigned(RequestHead& head, const sigv4::Credentials& credentials,
                                     SystemTime now, const std::optional<std::string>& bodyHash,
                                     const net::QueryParams& query) {
  std::optional<std::string_view> algorithm, credential, date, expires, signedHeaders, signature;
  for (const auto& [name, value] : query) {
    std::optional<std::string_view>* slot = name == "X-Amz-Algorithm"       ? &algorithm
                                            : name == "X-Amz-Credential"    ? &credential
                                            : name == "X-Amz-Date"          ? &date
                                            : name == "X-Amz-Expires"       ? &expires
                                            : name == "X-Amz-SignedHeaders" ? &signedHeaders
                                            : name == "X-Amz-Signature"     ? &signature
                                                                            : nullptr;
    if (slot == nullptr) {
      continue;
    }
    if (slot->has_value()) {
      return invalid("the presigned URL repeats " + name);
    }
    *slot = value;
  }
  const std::pair<const char*, const std::optional<std::string_view>*> required[] = {
      {"X-Amz-Algorithm", &algorithm},
      {"X-Amz-Credential", &credential},
      {"X-Amz-Date", &date},
      {"X-Amz-Expires", &expires},
      {"X-Amz-SignedHeaders", &signedHeaders},
      {"X-Amz-Signature", &signature}};
  for (const auto& [name, slot] : required) {
    if (!slot->has_value()) {
      return invalid(std::string("the presigned URL lacks ") + name);
    }
  }
  if (*algorithm != sigv4::kAlgorithm) {
    return invalid("the presigned URL's X-Amz-Algorithm is not AWS4-HMAC-SHA256");
  }
  if (!isSignature(*signature)) {
    return invalid("the presigned URL's X-Amz-Signature is not 64 hex digits");
  }
  ClientSignature client;
  TESSERA_RETURN_IF_ERROR(parseCredential(*credential, client));
  TESSERA_RETURN_IF_ERROR(parseSignedHeaders(*signedHeaders, client));
  const auto signedAt = parseAmzDate(*date);
  if (!signedAt) {
    return invalid("the presigned URL's X-Amz-Date is not YYYYMMDDTHHMMSSZ");
  }
  if (!isDigits(*expires) || expires->size() > 7) {
    return invalid("the presigned URL's X-Amz-Expires is not a number of seconds");
  }
  const std::chrono::seconds lifetime(std::stol(std::string(*expires)));
  if (lifetime < std::chrono::seconds(1) || lifetime > sigv4::kMaxPresignExpiry) {
    return invalid("the presigned URL's X-Amz-Expires is not 1 to 604800 seconds");
  }
  // The new URL ends when the client's would have (and lasts at most the seven days allowed).
  const auto left = std::min(std::chrono::floor<std::chrono::seconds>(*signedAt + lifetime - now),
                             sigv4::kMaxPresignExpiry);
  if (left < std::chrono::seconds(1)) {
    return invalid("the presigned URL has expired");
  }
  // A presigned URL carries the session token in its query; a token header the client added is
  // a placeholder, replaced like every other credential it sent (dropped here).
  head.headers.remove("x-amz-security-token");
  for (const auto& name : client.signedHeaders) {
    if (!head.headers.contains(name)) {
      return invalid("the client signed the header " + name + ", which the request lacks");
    }
  }
  sigv4::SigningParams params;
  params.region = client.region;
  params.service = client.service;
  params.time = now;
  params.s3PathRules = s3SigningRules(client.service);
  params.normalizePath = !params.s3PathRules;
  params.signedHeaders = client.signedHeaders;
  ResignResult result;
  if (params.s3PathRules) {
    params.payloadHash = std::string(sigv4::kUnsignedPayload);
  } else if (bodyHash) {
    params.payloadHash = *bodyHash;
  } else if (!hasBody(head)) {
    params.payloadHash = std::string(sigv4::kEmptyPayloadHash);
  } else {
    result.needsBody = true;
    return result;
  }
  auto request = signingRequest(head);
  TESSERA_DECLARE_OR_RETURN(auto presigned, sigv4::presign(request, credentials, params, left));
  head.target = request.path + (presigned.query.empty() ? "" : "?" + presigned.query);
  return result;
}

Result<ResignResult> resign(RequestHead& head, const sigv4::Credentials& credentials,
                            SystemTime now, const std::optional<std::string>& bodyHash) {
  const auto q = head.target.find('?');
  const std::string_view rawQuery =
      q == std::string::npos ? std::string_view() : std::string_view(head.target).substr(q + 1);
  bool presigned = false;
  std::optional<net::QueryParams> query;
  if (rawQuery.find("X-Amz-") != std::string_view::npos) {
    if (rawQuery.size() > kMaxAuthorizationBytes + 4096) {
      return invalid("the query of a presigned URL is too long");
    }
    query = net::parseQuery(rawQuery);
    if (!query) {
      return invalid("the query has a malformed percent-escape");
    }
    presigned = std::any_of(query->begin(), query->end(), [](const auto& p) {
      return isAuthParameter(p.first) && p.first != "X-Amz-Date";
    });
  }
  const std::size_t authorizations = countFields(head, "authorization");
  if (authorizations > 1) {
    return invalid("the request has more than one Authorization header");
  }
  if (authorizations == 1 && presigned) {
    return invalid("the request is signed both in the Authorization header and in the query");
  }
  if (authorizations == 1) {
    return resignHeaderSigned(head, credentials, now, bodyHash, *head.headers.get("authorization"));
  }
  if (presigned) {
    return resignPresigned(head, credentials, now, bodyHash, *query);
  }
  // botocore still presigns S3 URLs with Signature Version 2 unless told s3v4; say so rather
  // than "no signature".
  if (rawQuery.find("AWSAccessKeyId=") != std::string_view::npos &&
      rawQuery.find("Signature=") != std::string_view::npos) {
    return invalid(
        "Signature Version 2 presigned URLs (AWSAccessKeyId, Signature) are not "
        "supported; presign with SigV4 (botocore: signature_version='s3v4')");
  }
  return invalid("the request carries no AWS signature to replace");
}

}  // namespace

Result<ResignResult> resignSigV4(RequestHead& head, const sigv4::Credentials& credentials,
                                 SystemTime now) {
  return resign(head, credentials, now, std::nullopt);
}

Result<void> resignSigV4WithBody(RequestHead& head, std::string_view body,
                                 const sigv4::Credentials& credentials, SystemTime now) {
  if (body.size() > kMaxHashedBodyBytes) {
    return makeError(ErrorCode::kPayloadTooLarge, "SigV4 re-signing: the body is larger than " +
                                                      std::to_string(kMaxHashedBodyBytes) +
                                                      " bytes, the most the edge hashes");
  }
  TESSERA_DECLARE_OR_RETURN(auto result,
                            resign(head, credentials, now, crypto::toHex(crypto::sha256(body))));
  if (result.body || result.needsBody) {
    // A streaming body states its mode in x-amz-content-sha256 and never asks for the body.
    return makeError(ErrorCode::kInternal, "SigV4 re-signing: the body was not needed");
  }
  return {};
}

}  // namespace tessera::edge
