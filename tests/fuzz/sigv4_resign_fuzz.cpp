// libFuzzer target for the edge's SigV4 re-signer. The first input byte chooses what the rest is:
//   0: a whole request ("METHOD target" line, "Name:value" header lines, a blank line, a body);
//   1: the value of the Authorization header of a fixed S3 request;
//   2, 3: the aws-chunked body of a fixed STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload (3: the
//      -TRAILER variant), fed in two pieces split where the second byte says.
// Nothing may crash; a re-signed header carries the grant's key and no placeholder token; a body
// the transform accepts comes out exactly as long as it went in, and (without trailer) reads back
// through AwsChunkedDecoder to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edge/sigv4_resigner.hpp"
#include "sigv4/aws_chunked_decoder.hpp"

namespace {

using namespace tessera;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

const sigv4::Credentials kGrant{"AKIDGRANT", "grant-secret", "grant-token"};
const sigv4::Credentials kPlaceholder{"AKIDPLACEHOLDER", "placeholder", "placeholder-token"};
const SystemTime kNow = fromUnixSeconds(1'796'061'642);

edge::RequestHead parseRequest(std::string_view input, std::string& body) {
  edge::RequestHead head;
  auto take = [&]() {
    const auto end = input.find('\n');
    const auto line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    return line;
  };
  const auto first = take();
  const auto space = first.find(' ');
  head.method = std::string(first.substr(0, space));
  head.target = space == std::string_view::npos ? "/" : std::string(first.substr(space + 1));
  while (!input.empty()) {
    const auto line = take();
    if (line.empty()) {
      break;
    }
    const auto colon = line.find(':');
    head.headers.add(std::string(line.substr(0, colon)),
                     colon == std::string_view::npos ? "" : std::string(line.substr(colon + 1)));
  }
  body = std::string(input);
  return head;
}

// A fixed upload signed by a client with placeholder keys.
edge::RequestHead streamingHead(bool trailer) {
  sigv4::Request r;
  r.method = "PUT";
  r.path = "/bucket/key";
  r.headers = {{"Host", "bucket.s3.us-east-1.amazonaws.com"},
               {"Content-Encoding", "aws-chunked"},
               {"x-amz-content-sha256", trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
                                                : "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}};
  sigv4::SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = kNow;
  p.payloadHash = r.headers.back().second;
  p.s3PathRules = true;
  auto signature = sigv4::signHeaders(r, kPlaceholder, p);
  check(signature.ok());
  edge::RequestHead head;
  head.method = r.method;
  head.target = r.path;
  for (const auto& [name, value] : r.headers) {
    head.headers.add(name, value);
  }
  for (const auto& [name, value] : signature->headers) {
    head.headers.set(name, value);
  }
  return head;
}

void checkResigned(const edge::RequestHead& head) {
  if (const auto token = head.headers.get("x-amz-security-token")) {
    check(*token == kGrant.sessionToken);
  }
  if (const auto authorization = head.headers.get("authorization")) {
    check(authorization->starts_with("AWS4-HMAC-SHA256 Credential=AKIDGRANT/"));
  }
}

void resignRequest(edge::RequestHead head, const std::string& body) {
  auto result = edge::resignSigV4(head, kGrant, kNow);
  if (!result.ok()) {
    return;
  }
  if (result->needsBody) {
    if (edge::resignSigV4WithBody(head, body, kGrant, kNow).ok()) {
      checkResigned(head);
    }
    return;
  }
  checkResigned(head);
  if (result->body) {
    std::string out;
    if (result->body->feed(body, out).ok() && result->body->finish(out).ok()) {
      check(out.size() == body.size());
    }
  }
}

void resignBody(std::string_view input, bool trailer) {
  static const edge::RequestHead kHeads[2] = {streamingHead(false), streamingHead(true)};
  edge::RequestHead head = kHeads[trailer ? 1 : 0];
  auto result = edge::resignSigV4(head, kGrant, kNow);
  check(result.ok() && result->body != nullptr && !result->needsBody);
  checkResigned(head);
  const std::size_t split = input.empty() ? 0 : static_cast<unsigned char>(input[0]);
  const std::string_view body = input.empty() ? input : input.substr(1);
  const std::size_t at = std::min(split, body.size());
  std::string out;
  if (!result->body->feed(body.substr(0, at), out).ok() ||
      !result->body->feed(body.substr(at), out).ok() || !result->body->finish(out).ok()) {
    return;
  }
  check(out.size() == body.size());
  if (!trailer) {
    sigv4::AwsChunkedDecoder decoder(edge::kMaxResignChunkBytes);
    sigv4::AwsChunkedDecoder original(edge::kMaxResignChunkBytes);
    std::vector<std::string> resigned;
    std::vector<std::string> sent;
    check(decoder.feed(out, resigned).ok() && decoder.done());
    if (original.feed(body, sent).ok()) {
      check(resigned == sent);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: {
      std::string body;
      edge::RequestHead head = parseRequest(input, body);
      resignRequest(std::move(head), body);
      break;
    }
    case 1: {
      edge::RequestHead head;
      head.method = "GET";
      head.target = "/bucket?list-type=2";
      head.headers.add("Host", "bucket.s3.us-east-1.amazonaws.com");
      head.headers.add("x-amz-content-sha256", std::string(sigv4::kEmptyPayloadHash));
      head.headers.add("x-amz-date", "20261130T180000Z");
      head.headers.add("X-Amz-Security-Token", "placeholder-token");
      head.headers.add("Authorization", std::string(input));
      resignRequest(std::move(head), "");
      break;
    }
    default:
      resignBody(input, data[0] % 4 == 3);
      break;
  }
  return 0;
}
