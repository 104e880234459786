// HttpClient: outbound HTTP/1.1 over TCP or TLS for the hub (JWKS, OIDC discovery, AWS STS...)
// and the CLI. TLS is verified (system roots or a CA bundle, hostname, SNI) unless a request is
// explicitly marked insecure; timeouts and size limits always apply; redirects are not followed
// unless asked; idle keep-alive connections are pooled per (scheme, host, port).
//
//   auto client = HttpClient::create({.caBundleFile = "/etc/tessera/ca.pem"});
//   // in a coroutine:
//   Result<ClientResponse> r = co_await client->request(ClientRequest::get(jwksUrl));
//   // or blocking (CLI, start-up):
//   Result<ClientResponse> r = client->requestBlocking(ClientRequest::get(jwksUrl));
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "net/http_types.hpp"

namespace tessera::net {

// Not an aggregate on purpose: GCC 12 miscompiles aggregate-initialized temporaries inside a
// co_await expression (`co_await client.request({.url = u})` frees garbage), so requests are built
// with constructors and setters, which are safe:
//   co_await client->request(ClientRequest::get(url).withTimeout(2s));
struct ClientRequest {
  ClientRequest() = default;
  ClientRequest(std::string methodName, std::string target)
      : method(std::move(methodName)), url(std::move(target)) {}
  static ClientRequest get(std::string url) { return ClientRequest("GET", std::move(url)); }
  static ClientRequest post(std::string url, std::string body, std::string contentType);

  ClientRequest& withHeader(std::string_view name, std::string value);
  ClientRequest& withBody(std::string data, std::string contentType);
  ClientRequest& withTimeout(std::chrono::milliseconds d);
  ClientRequest& withMaxResponseBytes(std::size_t n);
  ClientRequest& withMaxRedirects(int n);
  ClientRequest& withInsecureSkipTlsVerify();  // see insecureSkipTlsVerify

  std::string method = "GET";
  std::string url;  // absolute http(s) URL
  Headers headers;  // Host, Content-Length and Connection are set by the client
  std::string body;
  // Overrides of the client's defaults for this request.
  std::optional<std::chrono::milliseconds> timeout;  // the whole request, redirects included
  std::optional<std::size_t> maxResponseBytes;
  // Redirects to follow (same scheme only); 0 returns the 3xx response itself.
  std::optional<int> maxRedirects;
  // INSECURE: skips certificate and hostname verification for this request. For local
  // development against self-signed endpoints only; never set it from untrusted configuration.
  bool insecureSkipTlsVerify = false;
};

struct ClientResponse {
  int status = 0;
  Headers headers{};
  std::string body{};
  std::string url{};  // the URL that produced this response (after redirects)
};

struct HttpClientOptions {
  std::string caBundleFile{};  // PEM trusted CAs; empty: the system trust store
  std::chrono::milliseconds connectTimeout{5'000};  // DNS + TCP connect
  std::chrono::milliseconds timeout{30'000};        // whole request default
  std::size_t maxResponseBytes = 1024 * 1024;       // body; larger -> kHttpResponseTooLarge
  std::size_t maxHeaderBytes = 16 * 1024;           // response head; larger -> same
  int maxRedirects = 0;
  std::size_t maxIdlePerHost = 4;
  std::size_t maxIdleTotal = 64;
  std::chrono::milliseconds idleTimeout{30'000};  // pooled connections older than this are dropped
  std::string userAgent = "tessera";
};

struct HttpClientStats {
  std::uint64_t connectionsOpened = 0;
  std::uint64_t connectionsReused = 0;
  std::uint64_t staleRetries = 0;
  std::size_t idleConnections = 0;
};

// Errors: kInvalidArgument (bad URL or request), kHttpConnect (DNS, TCP), kHttpTls (handshake,
// verification), kTimeout, kHttpResponseTooLarge, kHttpUpstream (malformed or cut response).
// Any HTTP status is a successful Result; look at ClientResponse::status.
class HttpClient {
 public:
  // kHttpTls when the CA bundle cannot be loaded.
  static Result<std::shared_ptr<HttpClient>> create(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs on the calling coroutine's executor. Connections opened here are pooled for later
  // requests on the same execution context; destroy the client before that io_context.
  boost::asio::awaitable<Result<ClientResponse>> request(ClientRequest request);

  // Blocking convenience on a private io_context (CLI, start-up). Calls are serialized; never
  // call it from an io_context thread that serves other work.
  Result<ClientResponse> requestBlocking(ClientRequest request);

  HttpClientStats stats() const;
  // Closes every pooled idle connection.
  void clearPool();

  struct Impl;

 private:
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tessera::net
