// Signs requests described as JSON lines on stdin with Tessera's SigV4 signer and prints one JSON
// line per request, for the interop tests that compare it with botocore and @smithy/signature-v4.
// In:  {"mode": "header"|"query", "method", "path", "query", "headers": [[name, value]...],
//       "body", "region", "service", "time" (Unix seconds), "accessKeyId", "secretAccessKey",
//       "sessionToken", "s3" (S3's path and payload rules), "expires" (query mode)}
// Out: {"signature", "signedHeaders", "canonicalRequest", "authorization" | "query"} or
//      {"error"}.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "sigv4/signer.hpp"

using nlohmann::json;
using namespace tessera;

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    const auto in = json::parse(line);
    sigv4::Request request;
    request.method = in.at("method");
    request.path = in.at("path");
    request.query = in.value("query", "");
    for (const auto& h : in.at("headers")) {
      request.headers.emplace_back(h.at(0), h.at(1));
    }
    const std::string body = in.value("body", "");
    sigv4::Credentials credentials{in.at("accessKeyId"), in.at("secretAccessKey"),
                                   in.value("sessionToken", "")};
    sigv4::SigningParams params;
    params.region = in.at("region");
    params.service = in.at("service");
    params.time = fromUnixSeconds(in.at("time").get<std::int64_t>());
    const bool s3 = in.value("s3", false);
    const bool query = in.at("mode") == "query";
    params.s3PathRules = s3;
    params.normalizePath = !s3;
    params.addContentSha256 = s3 && !query;
    params.payloadHash =
        s3 && query ? std::string(sigv4::kUnsignedPayload) : crypto::toHex(crypto::sha256(body));
    json out;
    if (query) {
      auto signed_ = sigv4::presign(request, credentials, params,
                                    std::chrono::seconds(in.value("expires", 3600)));
      if (!signed_) {
        out = {{"error", signed_.error().message}};
      } else {
        out = {{"signature", signed_->signature},
               {"signedHeaders", signed_->signedHeaders},
               {"canonicalRequest", signed_->canonicalRequest},
               {"query", signed_->query}};
      }
    } else {
      auto signed_ = sigv4::signHeaders(request, credentials, params);
      if (!signed_) {
        out = {{"error", signed_.error().message}};
      } else {
        out = {{"signature", signed_->signature},
               {"signedHeaders", signed_->signedHeaders},
               {"canonicalRequest", signed_->canonicalRequest}};
        for (const auto& [name, value] : signed_->headers) {
          if (name == "Authorization") {
            out["authorization"] = value;
          }
        }
      }
    }
    std::cout << out.dump() << "\n" << std::flush;
  }
  return 0;
}
