// TLS contexts for the HTTP server (certificate + key from PEM files) and the HTTP client
// (verification against system roots or a CA bundle). Built once at start-up by HttpServer and
// HttpClient; TLS 1.2 is the minimum everywhere.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace tessera::net {

using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

struct ServerTlsConfig {
  std::string certificateChainFile{};  // PEM: leaf first, then intermediates
  std::string privateKeyFile{};        // PEM
};

// kHttpTls when a file is missing, unreadable, or the key does not match the certificate.
Result<TlsContextPtr> makeServerTlsContext(const ServerTlsConfig& config);

struct ClientTlsConfig {
  // PEM file of trusted CAs; empty means the system's default trust store.
  std::string caBundleFile{};
  // Skips certificate and hostname verification. Only for explicitly insecure requests.
  bool insecureSkipVerify = false;
};

Result<TlsContextPtr> makeClientTlsContext(const ClientTlsConfig& config);

// A client context made on first use: the system trust store parses every root certificate
// (about a megabyte per context), which a process that never dials TLS (an edge whose hub and
// servers are plain HTTP) should not carry. A configured bundle file is loaded at once, so that a
// bad path is a start-up error. get() is thread-safe; a failure is returned to every caller.
class LazyClientTlsContext {
 public:
  // kHttpTls when config.caBundleFile is set and cannot be loaded.
  static Result<std::shared_ptr<LazyClientTlsContext>> create(ClientTlsConfig config);
  Result<TlsContextPtr> get();

 private:
  explicit LazyClientTlsContext(ClientTlsConfig config) : config_(std::move(config)) {}
  ClientTlsConfig config_;
  std::mutex mutex_;
  TlsContextPtr context_;
};

}  // namespace tessera::net
