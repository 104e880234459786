#include "net/tls_context.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

#include "crypto/openssl_ptr.hpp"

namespace tessera::net {
namespace ssl = boost::asio::ssl;

namespace {

void harden(ssl::context& ctx) {
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                  ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION);
}

}  // namespace

Result<TlsContextPtr> makeServerTlsContext(const ServerTlsConfig& config) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  harden(*ctx);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(config.certificateChainFile, ec);
  if (ec) {
    crypto::takeOpenSslErrors();
    return fail(ErrorCode::kHttpTls, "cannot load TLS certificate chain " +
                                         config.certificateChainFile + ": " + ec.message());
  }
  ctx->use_private_key_file(config.privateKeyFile, ssl::context::pem, ec);
  if (ec) {
    crypto::takeOpenSslErrors();
    return fail(ErrorCode::kHttpTls,
                "cannot load TLS private key " + config.privateKeyFile + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return fail(ErrorCode::kHttpTls,
                "TLS private key does not match the certificate: " + crypto::takeOpenSslErrors());
  }
  return ctx;
}

Result<TlsContextPtr> makeClientTlsContext(const ClientTlsConfig& config) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  harden(*ctx);
  if (config.insecureSkipVerify) {
    ctx->set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (config.caBundleFile.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(config.caBundleFile, ec);
  }
  if (ec) {
    crypto::takeOpenSslErrors();
    return fail(ErrorCode::kHttpTls,
                "cannot load trusted CAs " +
                    (config.caBundleFile.empty() ? std::string("(system)") : config.caBundleFile) +
                    ": " + ec.message());
  }
  return ctx;
}

Result<std::shared_ptr<LazyClientTlsContext>> LazyClientTlsContext::create(ClientTlsConfig config) {
  std::shared_ptr<LazyClientTlsContext> lazy(new LazyClientTlsContext(std::move(config)));
  if (!lazy->config_.caBundleFile.empty()) {
    auto loaded = lazy->get();
    if (!loaded) {
      return std::move(loaded).error();
    }
  }
  return lazy;
}

Result<TlsContextPtr> LazyClientTlsContext::get() {
  std::lock_guard lock(mutex_);
  if (!context_) {
    auto made = makeClientTlsContext(config_);
    if (!made) {
      return std::move(made).error();
    }
    context_ = std::move(*made);
  }
  return context_;
}

}  // namespace tessera::net
