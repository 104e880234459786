// Helpers for the net tests: a raw HTTP/1.1 client with timeouts (to send exactly the bytes a test
// needs) and self-signed certificates generated in a temporary directory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::net::testing {

using RawResponse = boost::beast::http::response<boost::beast::http::string_body>;

class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  bool connected() const { return connected_; }
  void send(std::string_view bytes);
  // One response; nullopt on close, error or timeout. headRequest: the response has no body.
  std::optional<RawResponse> read(bool headRequest = false,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(3));
  // Reads (and discards) until the peer closes; true when it closed within `timeout`.
  bool waitClosed(std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

// "GET <target> HTTP/1.1" with Host and any extra header lines ("Name: value\r\n...").
std::string rawGet(std::string_view target, std::string_view extraHeaders = "");

// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct TestCert {
  std::string certFile;  // PEM certificate (self-signed, usable as its own CA bundle)
  std::string keyFile;   // PEM private key
};

// A self-signed P-256 certificate whose subjectAltName is `san` ("IP:127.0.0.1",
// "DNS:wrong.example"...), written as <name>.crt / <name>.key into `dir`.
TestCert makeSelfSignedCert(const std::filesystem::path& dir, const std::string& name,
                            const std::string& san);

}  // namespace tessera::net::testing
