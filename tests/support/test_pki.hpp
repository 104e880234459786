// A tiny PKI for tests of signed instance documents: RSA keys, CA and leaf certificates and
// PKCS#7 SignedData, all made with OpenSSL at test time (no private key is ever committed). Used by
// the crypto and trust unit tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "crypto/openssl_ptr.hpp"

namespace tessera::testpki {

struct TestCertificate {
  crypto::PkeyPtr key;
  crypto::X509Ptr certificate;
  std::string pem() const;
};

struct CertificateOptions {
  std::string commonName;
  std::vector<std::string> dnsNames;
  SystemTime notBefore;
  SystemTime notAfter;
  bool ca = false;
};

// A certificate for a fresh RSA-2048 key, signed by `issuer` (self-signed when null).
TestCertificate makeCertificate(const CertificateOptions& options,
                                const TestCertificate* issuer = nullptr);

struct SignOptions {
  bool includeCertificate = true;  // put the signer's certificate in the message
  bool detached = false;
};

// DER PKCS#7 SignedData over `content` (SHA-256, signed attributes, content attached).
std::string signPkcs7(std::string_view content, const TestCertificate& signer,
                      const SignOptions& options = {});

// Standard base64 with padding, wrapped at 64 characters when `wrap`.
std::string base64(std::string_view bytes, bool wrap = false);

}  // namespace tessera::testpki
