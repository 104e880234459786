// EdgeCa: the certificate authority an edge uses to decrypt TLS for server workloads that ask for
// it. Self-signed in dev mode (made and saved on first start) or loaded from PEM files (a
// certificate issued by the hub or an operator's CA). Issues short-lived leaf certificates for
// exact host names and IP addresses. Called by the edge's leaf cache.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/openssl_ptr.hpp"

namespace tessera::crypto {

struct IssuedLeaf {
  std::string certificatePem;  // the leaf
  std::string chainPem;        // the leaf followed by the CA certificate
  std::string privateKeyPem;   // PKCS#8
  SystemTime notAfter{};
};

class EdgeCa {
 public:
  // A new ECDSA P-256 CA certificate (basicConstraints CA:TRUE pathlen 0, keyCertSign) valid
  // from now - 1h for `validity`.
  static Result<EdgeCa> createSelfSigned(std::string_view commonName, std::chrono::seconds validity,
                                         SystemTime now);
  // Loads a CA certificate and its private key (PEM); kCryptoFailure naming the file and why
  // (unreadable, not a CA, key does not match).
  static Result<EdgeCa> loadFiles(const std::string& certificateFile, const std::string& keyFile);
  // Writes the certificate (0644) and key (0600) as PEM, replacing files atomically.
  Result<void> saveFiles(const std::string& certificateFile, const std::string& keyFile) const;

  // A leaf for `host` (a DNS name -> SAN dNSName, an IP literal -> SAN iPAddress), ECDSA P-256,
  // serverAuth, valid from now - 5 min for `validity` (never past the CA's notAfter).
  // kInvalidArgument for an empty, wildcard or malformed host.
  Result<IssuedLeaf> issueLeaf(std::string_view host, SystemTime now,
                               std::chrono::seconds validity = std::chrono::hours(24)) const;

  std::string certificatePem() const;
  SystemTime notAfter() const;
  // Hex SHA-256 of the DER certificate (what operators compare).
  std::string fingerprintSha256() const;

 private:
  EdgeCa(X509Ptr certificate, PkeyPtr key);
  X509Ptr certificate_;
  PkeyPtr key_;
};

}  // namespace tessera::crypto
