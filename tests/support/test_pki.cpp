#include "test_pki.hpp"

#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace tessera::testpki {

namespace {
void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("test PKI: ") + what + ": " + crypto::takeOpenSslErrors());
  }
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}
}  // namespace

std::string TestCertificate::pem() const {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), certificate.get()) == 1, "PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

TestCertificate makeCertificate(const CertificateOptions& options, const TestCertificate* issuer) {
  static long serial = 1000;
  TestCertificate out;
  out.key.reset(EVP_RSA_gen(2048));
  check(out.key != nullptr, "key");
  out.certificate.reset(X509_new());
  X509* cert = out.certificate.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
  ASN1_TIME_set(X509_getm_notBefore(cert), static_cast<time_t>(toUnixSeconds(options.notBefore)));
  ASN1_TIME_set(X509_getm_notAfter(cert), static_cast<time_t>(toUnixSeconds(options.notAfter)));
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(options.commonName.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer->certificate.get()) : name);
  X509_set_pubkey(cert, out.key.get());
  X509* issuerCert = issuer ? issuer->certificate.get() : cert;
  if (options.ca) {
    addExtension(cert, issuerCert, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert, issuerCert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExtension(cert, issuerCert, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert, issuerCert, NID_key_usage, "critical,digitalSignature");
    addExtension(cert, issuerCert, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  addExtension(cert, issuerCert, NID_subject_key_identifier, "hash");
  if (issuer) {
    addExtension(cert, issuerCert, NID_authority_key_identifier, "keyid:always");
  }
  if (!options.dnsNames.empty()) {
    std::string san;
    for (const auto& d : options.dnsNames) {
      san += (san.empty() ? "DNS:" : ",DNS:") + d;
    }
    addExtension(cert, issuerCert, NID_subject_alt_name, san);
  }
  check(X509_sign(cert, issuer ? issuer->key.get() : out.key.get(), EVP_sha256()) > 0, "sign");
  return out;
}

std::string signPkcs7(std::string_view content, const TestCertificate& signer,
                      const SignOptions& options) {
  crypto::BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  int flags = PKCS7_BINARY | PKCS7_PARTIAL;
  if (!options.includeCertificate) {
    flags |= PKCS7_NOCERTS;
  }
  if (options.detached) {
    flags |= PKCS7_DETACHED;
  }
  crypto::Pkcs7Ptr p7(PKCS7_sign(nullptr, nullptr, nullptr, nullptr, flags));
  check(p7 != nullptr, "PKCS7_sign");
  check(PKCS7_sign_add_signer(p7.get(), signer.certificate.get(), signer.key.get(), EVP_sha256(),
                              flags) != nullptr,
        "add signer");
  check(PKCS7_final(p7.get(), in.get(), flags) == 1, "final");
  unsigned char* der = nullptr;
  const int n = i2d_PKCS7(p7.get(), &der);
  check(n > 0, "DER");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string base64(std::string_view bytes, bool wrap) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) {
      out.push_back(kAlphabet[(v >> s) & 63]);
    }
  }
  if (bytes.size() - i == 1) {
    const unsigned v = byte(i) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (bytes.size() - i == 2) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  if (!wrap) {
    return out;
  }
  std::string wrapped;
  for (std::size_t k = 0; k < out.size(); k += 64) {
    wrapped += out.substr(k, 64) + "\n";
  }
  return wrapped;
}

}  // namespace tessera::testpki
