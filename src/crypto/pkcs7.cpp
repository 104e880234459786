#include "crypto/pkcs7.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <climits>

namespace tessera::crypto {

namespace {

constexpr std::string_view kPemBegin = "-----BEGIN CERTIFICATE-----";

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string asn1Text(const ASN1_STRING* value) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, value);
  if (n < 0) {
    ERR_clear_error();
    return "";
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  // A name with an embedded NUL could compare equal to a shorter name in C code; never offer it.
  return out.find('\0') == std::string::npos ? out : "";
}

// The SignedData with attached data content that `der` holds, and nothing after it.
Result<Pkcs7Ptr> parseSignedData(std::string_view der) {
  if (der.empty() || der.size() > INT_MAX) {
    return fail(ErrorCode::kInvalidArgument, "not a PKCS#7 message: empty or too large");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7) {
    ERR_clear_error();
    return fail(ErrorCode::kInvalidArgument, "not a DER PKCS#7 message");
  }
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return fail(ErrorCode::kInvalidArgument, "data follows the PKCS#7 message");
  }
  if (!PKCS7_type_is_signed(p7.get()) || p7->d.sign == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "the PKCS#7 message is not SignedData");
  }
  // Checked by hand rather than with PKCS7_get_detached: a SignedData without a content info, or
  // whose content is not plain data, must be refused before OpenSSL looks into it.
  const PKCS7* contents = p7->d.sign->contents;
  if (contents == nullptr || !PKCS7_type_is_data(contents) || contents->d.data == nullptr) {
    return fail(ErrorCode::kInvalidArgument,
                "the PKCS#7 SignedData does not carry its signed data (detached or not data)");
  }
  const auto* signerInfos = PKCS7_get_signer_info(p7.get());
  if (signerInfos == nullptr || sk_PKCS7_SIGNER_INFO_num(signerInfos) == 0) {
    return fail(ErrorCode::kInvalidArgument, "the PKCS#7 SignedData has no signer");
  }
  return p7;
}

// Why PKCS7_verify failed, from the error queue (which this drains).
std::string verifyFailure() {
  const unsigned long last = ERR_peek_last_error();
  const std::string details = takeOpenSslErrors();
  if (ERR_GET_LIB(last) == ERR_LIB_PKCS7) {
    switch (ERR_GET_REASON(last)) {
      case PKCS7_R_SIGNER_CERTIFICATE_NOT_FOUND:
        return "the signer certificate is not among the trusted ones";
      case PKCS7_R_SIGNATURE_FAILURE:
      case PKCS7_R_DIGEST_FAILURE:
        return "the signature does not verify";
      default:
        break;
    }
  }
  return "the signature does not verify (" + (details.empty() ? "no detail" : details) + ")";
}

// PKCS7_verify with `flags`, the signed content on success.
Result<std::string> verifySignatures(PKCS7* p7, STACK_OF(X509) * certs, int flags) {
  // With PKCS7_NOVERIFY OpenSSL builds no chain, so the store stays empty; it is passed anyway so
  // that no OpenSSL version has to cope with a null store.
  X509StorePtr store(X509_STORE_new());
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!store || !out) {
    return fail(ErrorCode::kCryptoFailure, "out of memory: " + takeOpenSslErrors());
  }
  ERR_clear_error();
  if (PKCS7_verify(p7, certs, store.get(), nullptr, out.get(), flags) != 1) {
    return fail(ErrorCode::kUnauthenticated, verifyFailure());
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data == nullptr ? "" : data, size > 0 ? static_cast<std::size_t>(size) : 0);
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

}  // namespace

Result<X509Ptr> parseCertificatePem(std::string_view pem) {
  if (pem.size() > kMaxPemCertificateBytes) {
    return fail(
        ErrorCode::kInvalidArgument,
        "a PEM certificate is at most " + std::to_string(kMaxPemCertificateBytes) + " bytes");
  }
  const std::string_view text = trim(pem);
  if (!text.starts_with(kPemBegin)) {
    return fail(ErrorCode::kInvalidArgument,
                "must be a PEM certificate starting with " + std::string(kPemBegin));
  }
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    return fail(ErrorCode::kCryptoFailure, "out of memory: " + takeOpenSslErrors());
  }
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) {
    const std::string details = takeOpenSslErrors();
    return fail(ErrorCode::kInvalidArgument,
                "not a readable X.509 certificate" + (details.empty() ? "" : ": " + details));
  }
  char* rest = nullptr;
  const long restSize = BIO_get_mem_data(bio.get(), &rest);
  if (restSize > 0 && !trim(std::string_view(rest, static_cast<std::size_t>(restSize))).empty()) {
    return fail(ErrorCode::kInvalidArgument, "must hold exactly one certificate");
  }
  return certificate;
}

std::vector<std::string> certificateNames(X509* certificate) {
  std::vector<std::string> names;
  const X509_NAME* subject = X509_get_subject_name(certificate);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    if (auto cn = asn1Text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
        !cn.empty()) {
      names.push_back(std::move(cn));
    }
  }
  auto* alt = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (alt != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(alt); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt, i);
      if (name->type == GEN_DNS) {
        if (auto dns = asn1Text(name->d.dNSName); !dns.empty()) {
          names.push_back(std::move(dns));
        }
      }
    }
    GENERAL_NAMES_free(alt);
  }
  ERR_clear_error();
  return names;
}

Result<std::string> base64Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  unsigned buffer = 0;
  int bits = 0;
  std::size_t symbols = 0;  // alphabet characters and padding, without line breaks
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      continue;
    }
    if (c == '=') {
      ++padding;
      ++symbols;
      if (padding > 2) {
        return fail(ErrorCode::kBase64Invalid,
                    "base64: too much padding at offset " + std::to_string(i));
      }
      continue;
    }
    const int v = base64Value(c);
    if (v < 0) {
      return fail(ErrorCode::kBase64Invalid,
                  "base64: invalid character at offset " + std::to_string(i));
    }
    if (padding > 0) {
      return fail(ErrorCode::kBase64Invalid,
                  "base64: data after padding at offset " + std::to_string(i));
    }
    ++symbols;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  if (symbols == 0 || symbols % 4 != 0) {
    return fail(ErrorCode::kBase64Invalid, "base64: the length is not a multiple of 4");
  }
  // One padding character leaves 2 spare bits, two leave 4; they must be zero (canonical text),
  // and the padding must be exactly what the last group needs.
  if ((padding == 0 && bits != 0) || (padding == 1 && bits != 2) || (padding == 2 && bits != 4) ||
      (buffer & ((1u << bits) - 1)) != 0) {
    return fail(ErrorCode::kBase64Invalid, "base64: the final group is not canonical");
  }
  return out;
}

Result<std::string> verifyPinnedSignedData(std::string_view der, std::span<const X509Ptr> pinned) {
  TESSERA_DECLARE_OR_RETURN(auto p7, parseSignedData(der));
  X509StackViewPtr certs(sk_X509_new_null());
  if (!certs) {
    return fail(ErrorCode::kCryptoFailure, "out of memory: " + takeOpenSslErrors());
  }
  for (const auto& c : pinned) {
    if (sk_X509_push(certs.get(), c.get()) <= 0) {
      return fail(ErrorCode::kCryptoFailure, "out of memory: " + takeOpenSslErrors());
    }
  }
  // NOINTERN: a certificate carried in the message never counts as the signer, only a pinned
  // one; NOVERIFY: no chain, the pin is the trust.
  return verifySignatures(p7.get(), certs.get(), PKCS7_NOVERIFY | PKCS7_NOINTERN);
}

Result<VerifiedSignedData> verifyChainedSignedData(std::string_view der,
                                                   std::span<const X509Ptr> roots,
                                                   std::span<const X509Ptr> intermediates,
                                                   SystemTime at) {
  TESSERA_DECLARE_OR_RETURN(auto p7, parseSignedData(der));
  if (sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7.get())) != 1) {
    return fail(ErrorCode::kInvalidArgument, "the PKCS#7 SignedData must have exactly one signer");
  }
  ERR_clear_error();
  X509StackViewPtr signers(PKCS7_get0_signers(p7.get(), nullptr, 0));
  if (!signers || sk_X509_num(signers.get()) != 1) {
    takeOpenSslErrors();
    return fail(ErrorCode::kUnauthenticated,
                "the signer certificate is not included in the PKCS#7 message");
  }
  X509* signer = sk_X509_value(signers.get(), 0);
  TESSERA_DECLARE_OR_RETURN(auto content, verifySignatures(p7.get(), nullptr, PKCS7_NOVERIFY));

  X509StorePtr store(X509_STORE_new());
  X509StackViewPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) {
    return fail(ErrorCode::kCryptoFailure, "out of memory: " + takeOpenSslErrors());
  }
  for (const auto& root : roots) {
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) {
      // A duplicate root is harmless; anything else is not.
      const unsigned long e = ERR_peek_last_error();
      if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        return fail(ErrorCode::kCryptoFailure, "cannot add a CA: " + takeOpenSslErrors());
      }
      ERR_clear_error();
    }
  }
  if (const STACK_OF(X509)* carried = p7->d.sign->cert; carried != nullptr) {
    for (int i = 0; i < sk_X509_num(carried); ++i) {
      if (sk_X509_push(untrusted.get(), sk_X509_value(carried, i)) <= 0) {
        return fail(ErrorCode::kCryptoFailure, "out of memory: " + takeOpenSslErrors());
      }
    }
  }
  for (const auto& c : intermediates) {
    if (sk_X509_push(untrusted.get(), c.get()) <= 0) {
      return fail(ErrorCode::kCryptoFailure, "out of memory: " + takeOpenSslErrors());
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), signer, untrusted.get()) != 1) {
    return fail(ErrorCode::kCryptoFailure, "cannot verify a chain: " + takeOpenSslErrors());
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(toUnixSeconds(at)));
  // The configured CAs are the anchors, whether roots or pinned intermediates.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    takeOpenSslErrors();
    return fail(ErrorCode::kUnauthenticated,
                std::string("the signer certificate does not chain to a trusted CA: ") +
                    X509_verify_cert_error_string(error));
  }
  VerifiedSignedData verified;
  verified.content = std::move(content);
  verified.signerNames = certificateNames(signer);
  char* subject = X509_NAME_oneline(X509_get_subject_name(signer), nullptr, 0);
  if (subject != nullptr) {
    verified.signerSubject = subject;
    OPENSSL_free(subject);
  }
  return verified;
}

}  // namespace tessera::crypto
