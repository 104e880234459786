#include "test_support.hpp"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <random>
#include <stdexcept>

#include "crypto/openssl_ptr.hpp"

namespace tessera::net::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

RawClient::RawClient(std::uint16_t port) : socket_(ioc_) {
  boost::system::error_code ec;
  socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  connected_ = !ec;
}

void RawClient::send(std::string_view bytes) {
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
}

std::optional<RawResponse> RawClient::read(bool headRequest, std::chrono::milliseconds timeout) {
  http::response_parser<http::string_body> parser;
  parser.skip(headRequest);
  parser.body_limit(64 * 1024 * 1024);
  bool done = false;
  boost::system::error_code result;
  http::async_read(socket_, buffer_, parser, [&](boost::system::error_code ec, std::size_t) {
    done = true;
    result = ec;
  });
  ioc_.restart();
  ioc_.run_for(timeout);
  if (!done) {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    ioc_.restart();
    ioc_.run();
    return std::nullopt;
  }
  if (result) {
    return std::nullopt;
  }
  return parser.release();
}

bool RawClient::waitClosed(std::chrono::milliseconds timeout) {
  bool closed = false;
  std::array<char, 4096> scratch{};
  std::function<void(boost::system::error_code, std::size_t)> onRead;
  onRead = [&](boost::system::error_code ec, std::size_t) {
    if (ec) {
      closed = true;
      return;
    }
    socket_.async_read_some(asio::buffer(scratch), onRead);
  };
  buffer_.consume(buffer_.size());
  socket_.async_read_some(asio::buffer(scratch), onRead);
  ioc_.restart();
  ioc_.run_for(timeout);
  if (!closed) {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    ioc_.restart();
    ioc_.run();
    return false;
  }
  return true;
}

std::string rawGet(std::string_view target, std::string_view extraHeaders) {
  std::string out = "GET ";
  out += target;
  out += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  out += extraHeaders;
  out += "\r\n";
  return out;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("tessera-net-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

void addExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    throw std::runtime_error("X509V3_EXT_conf_nid failed for " + value);
  }
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

TestCert makeSelfSignedCert(const std::filesystem::path& dir, const std::string& name,
                            const std::string& san) {
  crypto::PkeyPtr key(EVP_EC_gen("P-256"));
  crypto::X509Ptr cert(X509_new());
  if (!key || !cert) {
    throw std::runtime_error("cannot create a test key or certificate");
  }
  X509_set_version(cert.get(), 2);
  std::random_device rd;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(rd() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string cn = "tessera test " + name;
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  addExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
  addExtension(cert.get(), NID_subject_key_identifier, "hash");
  addExtension(cert.get(), NID_subject_alt_name, san);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    throw std::runtime_error("X509_sign failed");
  }
  TestCert out{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  crypto::BioPtr certBio(BIO_new_file(out.certFile.c_str(), "w"));
  crypto::BioPtr keyBio(BIO_new_file(out.keyFile.c_str(), "w"));
  if (!certBio || !keyBio || PEM_write_bio_X509(certBio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    throw std::runtime_error("cannot write the test certificate");
  }
  return out;
}

}  // namespace tessera::net::testing
