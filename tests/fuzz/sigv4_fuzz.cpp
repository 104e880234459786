// libFuzzer target for the SigV4 signer: the input is a request ("METHOD path?query" line, header
// lines "Name:value", a blank line, the body). Nothing may crash; signing is deterministic and
// yields 64 hex digits; the canonical query is idempotent; a placeholder Authorization header
// never changes the signature; header signing and presigning accept the same requests; framed
// chunks add up to awsChunkedLength and read back through AwsChunkedDecoder; the body itself read
// as aws-chunked (in two pieces) never crashes and accounts for every decoded byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sigv4/aws_chunked_decoder.hpp"
#include "sigv4/chunk_signer.hpp"
#include "sigv4/signer.hpp"

namespace {

using namespace tessera;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

sigv4::Request parse(std::string_view input, std::string& body) {
  sigv4::Request r;
  auto take = [&]() {
    const auto end = input.find('\n');
    const auto line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    return line;
  };
  const auto first = take();
  const auto space = first.find(' ');
  r.method = std::string(first.substr(0, space));
  const auto target =
      space == std::string_view::npos ? std::string_view() : first.substr(space + 1);
  const auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  r.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  while (!input.empty()) {
    const auto line = take();
    if (line.empty()) {
      break;
    }
    const auto colon = line.find(':');
    r.headers.emplace_back(
        std::string(line.substr(0, colon)),
        colon == std::string_view::npos ? "" : std::string(line.substr(colon + 1)));
  }
  body = std::string(input);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body;
  const auto request = parse(std::string_view(reinterpret_cast<const char*>(data), size), body);
  const sigv4::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       size % 2 ? "session-token" : ""};
  sigv4::SigningParams params;
  params.region = "us-east-1";
  params.service = size % 3 ? "s3" : "service";
  params.s3PathRules = size % 3 != 0;
  params.addContentSha256 = size % 5 == 0;
  params.time = fromUnixSeconds(1'440'938'160);
  params.payloadHash = crypto::toHex(crypto::sha256(body));

  if (auto query = sigv4::canonicalQuery(request.query); query) {
    auto again = sigv4::canonicalQuery(*query);
    check(again.ok() && *again == *query);
  }
  auto first = sigv4::signHeaders(request, credentials, params);
  auto second = sigv4::signHeaders(request, credentials, params);
  check(first.ok() == second.ok());
  auto presigned = sigv4::presign(request, credentials, params, std::chrono::seconds(900));
  check(first.ok() == presigned.ok());
  if (first.ok()) {
    check(first->signature == second->signature && first->signature.size() == 64);
    check(first->signature.find_first_not_of("0123456789abcdef") == std::string::npos);
    auto placeholder = request;
    placeholder.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 placeholder");
    auto resigned = sigv4::signHeaders(placeholder, credentials, params);
    check(resigned.ok() && resigned->signature == first->signature);

    sigv4::ChunkSigner chunks(credentials, params.time, params.region, params.service,
                              first->signature);
    const std::size_t chunkSize = 1 + size % 64;
    std::size_t framed = 0;
    for (std::size_t at = 0; at < body.size(); at += chunkSize) {
      framed += chunks.frame(std::string_view(body).substr(at, chunkSize)).size();
    }
    std::string framedBody;
    std::vector<std::string> sent;
    for (std::size_t at = 0; at < body.size(); at += chunkSize) {
      sent.push_back(body.substr(at, chunkSize));
    }
    sigv4::ChunkSigner again(credentials, params.time, params.region, params.service,
                             first->signature);
    for (const auto& c : sent) {
      framedBody += again.frame(c);
    }
    framedBody += again.frame("");
    check(framed + chunks.frame("").size() == framedBody.size());
    check(framedBody.size() == sigv4::awsChunkedLength(body.size(), chunkSize));
    sigv4::AwsChunkedDecoder decoder;
    std::vector<std::string> received;
    check(decoder.feed(framedBody, received).ok() && decoder.done() && received == sent);
  }
  sigv4::AwsChunkedDecoder raw(4096);
  std::vector<std::string> pieces;
  const auto half = body.size() / 2;
  if (raw.feed(std::string_view(body).substr(0, half), pieces).ok() &&
      raw.feed(std::string_view(body).substr(half), pieces).ok()) {
    std::uint64_t total = 0;
    for (const auto& p : pieces) {
      check(p.size() <= 4096);
      total += p.size();
    }
    check(total == raw.decodedBytes());
  }
  return 0;
}
