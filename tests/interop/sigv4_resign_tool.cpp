// Drives the edge's SigV4 re-signer on raw HTTP requests, for tests/interop/sigv4_resign_moto.py
// (botocore signs with placeholder keys, the tool re-signs with moto's, moto must accept).
//
//   sigv4_resign_tool resign --access-key-id A --secret-access-key S [--session-token T]
//                            [--now UNIX] [--feed N]
//     Re-signs as the proxy would: resignSigV4, then resignSigV4WithBody when it needs the body,
//     or the body transform fed N bytes at a time (default 4096). Prints "mode: ..." on stderr.
//   sigv4_resign_tool stream --access-key-id A --secret-access-key S [--session-token T]
//                            --region R --service S [--now UNIX] --chunk-size N
//                            [--trailer name:value]
//     Makes a client's STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] upload of the body with the
//     repository's chunk signer (botocore never sends one).
//
// stdin: a request line, header lines, an empty line, then the body (already decoded from any
// Transfer-Encoding). stdout: the request in the same form. Errors go to stderr, exit status 2.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "edge/sigv4_resigner.hpp"
#include "sigv4/chunk_signer.hpp"

using namespace tessera;

namespace {

struct Raw {
  edge::RequestHead head;
  std::string body;
};

bool parse(const std::string& in, Raw& out) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) {
    return false;
  }
  std::size_t at = 0;
  bool first = true;
  while (at < end) {
    const auto eol = in.find("\r\n", at);
    const std::string line = in.substr(at, eol - at);
    at = eol + 2;
    if (first) {
      const auto a = line.find(' ');
      const auto b = line.rfind(' ');
      if (a == std::string::npos || a == b) {
        return false;
      }
      out.head.method = line.substr(0, a);
      out.head.target = line.substr(a + 1, b - a - 1);
      out.head.version = line.substr(b + 1) == "HTTP/1.0" ? 10 : 11;
      first = false;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      return false;
    }
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out.head.headers.add(line.substr(0, colon), value);
  }
  out.body = in.substr(end + 4);
  return true;
}

void write(const edge::RequestHead& head, const std::string& body) {
  std::cout << head.method << ' ' << head.target << (head.version == 10 ? " HTTP/1.0" : " HTTP/1.1")
            << "\r\n";
  for (const auto& [name, value] : head.headers) {
    std::cout << name << ": " << value << "\r\n";
  }
  std::cout << "\r\n" << body;
  std::cout.flush();
}

int failWith(const std::string& message) {
  std::cerr << "sigv4_resign_tool: " << message << "\n";
  return 2;
}

sigv4::Request signingRequest(const edge::RequestHead& head) {
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

int resign(const std::map<std::string, std::string>& args, const sigv4::Credentials& credentials,
           SystemTime now, Raw raw) {
  const std::size_t feed = args.count("--feed") ? std::stoul(args.at("--feed")) : 4096;
  auto result = edge::resignSigV4(raw.head, credentials, now);
  if (!result) {
    return failWith(result.error().describe());
  }
  if (result->needsBody) {
    std::cerr << "mode: needs-body\n";
    auto done = edge::resignSigV4WithBody(raw.head, raw.body, credentials, now);
    if (!done) {
      return failWith(done.error().describe());
    }
    write(raw.head, raw.body);
    return 0;
  }
  if (!result->body) {
    std::cerr << "mode: pass-through\n";
    write(raw.head, raw.body);
    return 0;
  }
  std::cerr << "mode: streaming\n";
  std::string out;
  for (std::size_t at = 0; at < raw.body.size(); at += feed) {
    auto fed = result->body->feed(std::string_view(raw.body).substr(at, feed), out);
    if (!fed) {
      return failWith(fed.error().describe());
    }
  }
  if (auto finished = result->body->finish(out); !finished) {
    return failWith(finished.error().describe());
  }
  write(raw.head, out);
  return 0;
}

int stream(const std::map<std::string, std::string>& args, const sigv4::Credentials& credentials,
           SystemTime now, Raw raw) {
  const std::size_t chunkSize = std::stoul(args.at("--chunk-size"));
  const bool trailer = args.count("--trailer") > 0;
  const std::string mode = trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
                                   : std::string(sigv4::kStreamingPayload);
  const auto frame = [&](sigv4::ChunkSigner& signer, std::string& out) {
    for (std::size_t at = 0; at < raw.body.size(); at += chunkSize) {
      out += signer.frame(std::string_view(raw.body).substr(at, chunkSize));
    }
    if (!trailer) {
      out += signer.frame("");
      return;
    }
    const std::string last = signer.sign("");
    out += "0;chunk-signature=" + last + "\r\n" + args.at("--trailer") + "\r\n";
    // The trailer's signature chains from the final chunk's over "name:value\n".
    const auto colon = args.at("--trailer").find(':');
    const std::string canonical =
        args.at("--trailer").substr(0, colon) + ":" + args.at("--trailer").substr(colon + 1) + "\n";
    const auto key = sigv4::signingKey(credentials.secretAccessKey, sigv4::scopeDate(now),
                                       args.at("--region"), args.at("--service"));
    const std::string stringToSign =
        "AWS4-HMAC-SHA256-TRAILER\n" + sigv4::amzDate(now) + "\n" +
        sigv4::credentialScope(now, args.at("--region"), args.at("--service")) + "\n" + last +
        "\n" + crypto::toHex(crypto::sha256(canonical));
    out += "x-amz-trailer-signature:" + crypto::toHex(crypto::hmacSha256(key, stringToSign)) +
           "\r\n\r\n";
  };
  std::string sizing;
  sigv4::ChunkSigner dummy(credentials, now, args.at("--region"), args.at("--service"),
                           std::string(64, '0'));
  frame(dummy, sizing);
  auto& headers = raw.head.headers;
  headers.set("Content-Encoding", "aws-chunked");
  headers.set("x-amz-decoded-content-length", std::to_string(raw.body.size()));
  headers.set("Content-Length", std::to_string(sizing.size()));
  headers.set("x-amz-content-sha256", mode);
  if (trailer) {
    headers.set("x-amz-trailer", args.at("--trailer").substr(0, args.at("--trailer").find(':')));
  }
  sigv4::SigningParams params;
  params.region = args.at("--region");
  params.service = args.at("--service");
  params.time = now;
  params.payloadHash = mode;
  params.s3PathRules = true;
  params.normalizePath = false;
  auto signature = sigv4::signHeaders(signingRequest(raw.head), credentials, params);
  if (!signature) {
    return failWith(signature.error().describe());
  }
  for (auto& [name, value] : signature->headers) {
    headers.set(name, value);
  }
  sigv4::ChunkSigner signer(credentials, now, params.region, params.service, signature->signature);
  std::string body;
  frame(signer, body);
  write(raw.head, body);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return failWith("usage: sigv4_resign_tool resign|stream --access-key-id ... (see the source)");
  }
  const std::string command = argv[1];
  std::map<std::string, std::string> args;
  for (int i = 2; i + 1 < argc; i += 2) {
    args[argv[i]] = argv[i + 1];
  }
  if (!args.count("--access-key-id") || !args.count("--secret-access-key")) {
    return failWith("--access-key-id and --secret-access-key are required");
  }
  const sigv4::Credentials credentials{
      args["--access-key-id"], args["--secret-access-key"],
      args.count("--session-token") ? args["--session-token"] : ""};
  const SystemTime now = args.count("--now") ? fromUnixSeconds(std::stoll(args["--now"]))
                                             : std::chrono::system_clock::now();
  std::cin >> std::noskipws;
  const std::string input{std::istreambuf_iterator<char>(std::cin),
                          std::istreambuf_iterator<char>()};
  Raw raw;
  if (!parse(input, raw)) {
    return failWith("stdin is not an HTTP request head followed by an empty line");
  }
  if (command == "resign") {
    return resign(args, credentials, now, std::move(raw));
  }
  if (command == "stream") {
    return stream(args, credentials, now, std::move(raw));
  }
  return failWith("unknown command " + command);
}
