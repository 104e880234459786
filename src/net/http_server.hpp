// HttpServer: the HTTP/1.1 server (plain or TLS) on every request path of the hub and the edge.
// Worker threads with one event loop each (connections dealt to them in turn; a connection's I/O
// stays on its worker), coroutine handlers from a Router (blocking routes run on a separate
// pool), limits and timeouts against slow or hostile clients, and graceful shutdown.
//
//   Router router;
//   router.get("/v1/things/{name}", [](Request& r) { return jsonResponse(200, {...}); });
//   HttpServer server(std::move(router), {.bind = "127.0.0.1:0"});
//   if (auto started = server.start(); !started) { ... }
//   server.port();                        // the bound port
//   server.stop(std::chrono::seconds(10));  // drain in-flight requests, then close everything
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "net/router.hpp"
#include "net/tls_context.hpp"

namespace tessera::net {

// What the access-log hook receives after each response (metrics, access logs).
struct AccessLogEntry {
  std::string_view method{};  // "" when the request could not be parsed
  std::string_view path{};
  std::string_view route{};  // the matched pattern ("" if none): a low-cardinality metrics label
  int status = 0;
  std::chrono::microseconds duration{0};  // from the end of the request head to the response sent
  std::string_view remoteAddress{};
  std::uint16_t remotePort = 0;
};
using AccessLogHook = std::function<void(const AccessLogEntry&)>;

struct HttpServerOptions {
  // "host:port": an IPv4 literal, "[IPv6 literal]", or a host name resolved once. Port 0 picks a
  // free port (see HttpServer::port()).
  std::string bind = "127.0.0.1:8080";
  // Worker threads, each running its own event loop; 0 means one per core.
  std::size_t threads = 0;
  // Threads of the pool that runs blocking routes' handlers (RouteOptions::blocking); 0 means
  // one per core, at least 2. No pool is started when no route blocks.
  std::size_t blockingThreads = 0;
  std::size_t maxHeaderBytes = 16 * 1024;          // larger request heads get 431
  std::size_t maxBodyBytes = 1024 * 1024;          // larger bodies get 413 (RouteOptions overrides)
  std::chrono::milliseconds readTimeout{10'000};   // whole request (and TLS handshake) once begun
  std::chrono::milliseconds writeTimeout{10'000};  // whole response
  std::chrono::milliseconds idleTimeout{60'000};   // keep-alive wait for the next request
  std::size_t maxConnections = 10'000;             // beyond it new connections are closed at once
  int listenBacklog = 1024;
  std::optional<ServerTlsConfig> tls{};  // HTTPS when set
  AccessLogHook accessLog{};             // called on the connection's worker; keep it cheap
};

struct HttpServerStats {
  std::uint64_t acceptedConnections = 0;
  std::uint64_t rejectedConnections = 0;  // over maxConnections
  std::uint64_t activeConnections = 0;
  std::uint64_t requests = 0;
};

class HttpServer {
 public:
  HttpServer(Router router, HttpServerOptions options);
  ~HttpServer();  // stop() with a short drain
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads TLS material, binds, listens and starts the threads. kConfigInvalid for a bad bind
  // address, kIo when binding fails, kHttpTls for bad certificate/key files. Call once.
  Result<void> start();

  // The bound port (after start()).
  std::uint16_t port() const noexcept;

  // Graceful shutdown: stops accepting, closes idle keep-alive connections, lets in-flight
  // requests finish until `drain` has passed, then closes what remains and joins the threads.
  // Blocking and idempotent; never call it from a handler.
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

  // Non-blocking: starts the graceful shutdown; a later stop() completes it.
  void beginShutdown();

  HttpServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::net
