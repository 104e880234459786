// X.509 and PKCS#7 SignedData verification for signed instance documents (EC2 instance identity,
// Azure attested data): parse PEM certificates, verify a SignedData with attached content either
// against pinned signer certificates or through a chain to CA roots, and hand back the signed
// content. Pure: bytes, certificates and a time in, verdict out. Used by src/trust.
#pragma once

#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/openssl_ptr.hpp"

namespace tessera::crypto {

inline constexpr std::size_t kMaxPemCertificateBytes = 16 * 1024;

// Exactly one "-----BEGIN CERTIFICATE-----" block (surrounding whitespace allowed).
// kInvalidArgument when it is not one readable X.509 certificate.
Result<X509Ptr> parseCertificatePem(std::string_view pem);

// The names a certificate answers to: its subject CN(s), then its DNS subjectAltNames.
std::vector<std::string> certificateNames(X509* certificate);

// Standard base64 (RFC 4648 section 4, with '=' padding) as the metadata services serve PKCS#7
// bodies; CR and LF between characters are skipped (line-wrapped output), nothing else is.
// kBase64Invalid; the message names the offset, never the input.
Result<std::string> base64Decode(std::string_view text);

// Verifies a DER PKCS#7 SignedData with attached content whose every signer is one of `pinned`
// (certificates carried inside the message are ignored, and no chain is built: trust comes from
// the pin). Returns the signed content. kInvalidArgument when the bytes are not such a message,
// kUnauthenticated when the signer is not pinned or a signature does not verify.
Result<std::string> verifyPinnedSignedData(std::string_view der, std::span<const X509Ptr> pinned);

struct VerifiedSignedData {
  std::string content;
  std::vector<std::string> signerNames;  // certificateNames of the signer
  std::string signerSubject;             // one-line subject, for traces
};

// Verifies a DER PKCS#7 SignedData with attached content and exactly one signer whose
// certificate is carried in the message and chains, at time `at`, to one of `roots` (any of them
// is a trust anchor, self-signed or not) through the message's other certificates and
// `intermediates`. kInvalidArgument for malformed input, kUnauthenticated for a bad signature or
// an untrusted, expired or not yet valid chain (the message says which).
Result<VerifiedSignedData> verifyChainedSignedData(std::string_view der,
                                                   std::span<const X509Ptr> roots,
                                                   std::span<const X509Ptr> intermediates,
                                                   SystemTime at);

}  // namespace tessera::crypto
