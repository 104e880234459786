#include "commands/jwks_source.hpp"

#include <fstream>

#include "net/http_client.hpp"
#include "net/url.hpp"

namespace tessera::cli {

namespace {
constexpr std::size_t kMaxJwksBytes = 512 * 1024;

Result<std::string> fetchJwks(const std::string& url, const std::string& caFile) {
  auto parsed = net::parseUrl(url);
  if (!parsed) {
    return std::move(parsed).error();
  }
  if (parsed->scheme == "http" && !parsed->loopback()) {
    return fail(ErrorCode::kInvalidArgument,
                "--jwks " + url + ": plain http is only allowed on loopback; use https");
  }
  net::HttpClientOptions options;
  options.caBundleFile = caFile;
  options.maxResponseBytes = kMaxJwksBytes;
  options.timeout = std::chrono::seconds(10);
  auto client = net::HttpClient::create(options);
  if (!client) {
    return std::move(client).error();
  }
  net::ClientRequest request;
  request.url = url;
  request.headers.set("Accept", "application/jwk-set+json, application/json");
  auto response = (*client)->requestBlocking(std::move(request));
  if (!response) {
    return fail(response.error().code, "fetching JWKS " + url + ": " + response.error().message);
  }
  if (response->status != 200) {
    return fail(ErrorCode::kHttpUpstream,
                "fetching JWKS " + url + ": HTTP " + std::to_string(response->status));
  }
  return std::move(response->body);
}
}  // namespace

Result<jose::Jwks> loadJwks(const std::string& source, const std::string& caFile) {
  std::string text;
  if (source.starts_with("http://") || source.starts_with("https://")) {
    TESSERA_ASSIGN_OR_RETURN(text, fetchJwks(source, caFile));
  } else {
    std::ifstream in(source, std::ios::binary);
    if (!in) {
      return fail(ErrorCode::kIo, "cannot read JWKS file " + source);
    }
    text.resize(kMaxJwksBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxJwksBytes) {
      return fail(ErrorCode::kJwksInvalid, "JWKS file " + source + " is larger than 512 KiB");
    }
  }
  return jose::Jwks::parse(text);
}

}  // namespace tessera::cli
