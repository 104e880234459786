// JSON Web Keys (RFC 7517/7518/8037) and key sets: import (JWK JSON, PEM), export (public, and
// private for sealed storage), RFC 7638 thumbprints, key generation. A Jwk holds its parsed
// EVP_PKEY, is immutable and cheap to copy (shared). Used by jws/jwt, trust providers (JWKS of
// identity providers) and the hub (its signing keys, /jwks).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "crypto/openssl_ptr.hpp"
#include "jose/algorithm.hpp"

namespace tessera::jose {

inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 16384;

struct JwkImportOptions {
  // Private members (d, p, q, dp, dq, qi) are rejected with kJwkPrivateMaterial unless allowed.
  bool allowPrivate = false;
  int minRsaBits = kMinRsaBits;
};

struct JwkGenerateOptions {
  int rsaBits = 2048;
  // Empty: the kid is the RFC 7638 thumbprint.
  std::string kid{};
  // Records the algorithm in the key's "alg" member (binds the key to it).
  bool bindAlgorithm = true;
};

class Jwk {
 public:
  // Imports one JWK object. Errors: kJwkInvalid, kJwkUnsupportedKeyType (including "oct"),
  // kJwkUnsupportedCurve, kJwkKeyTooSmall, kJwkPrivateMaterial.
  static Result<Jwk> fromJson(const nlohmann::json& jwk, const JwkImportOptions& options = {});
  // Parses (strictly) and imports JWK JSON text.
  static Result<Jwk> parse(std::string_view jwkJson, const JwkImportOptions& options = {});
  // Imports a PEM public key (SPKI) or private key (PKCS#8 or traditional; unencrypted only).
  static Result<Jwk> fromPem(std::string_view pem, const JwkImportOptions& options = {});
  // Wraps an OpenSSL key (RSA, EC P-256/384/521, Ed25519), checking type and size.
  static Result<Jwk> fromPkey(crypto::PkeyPtr pkey, std::string kid = {},
                              std::optional<Algorithm> alg = std::nullopt,
                              const JwkImportOptions& options = {.allowPrivate = true});
  // A fresh private key suited to `alg` (RSA for RS/PS, the matching curve for ES, Ed25519).
  static Result<Jwk> generate(Algorithm alg, const JwkGenerateOptions& options = {});

  KeyType keyType() const noexcept;
  Curve curve() const noexcept;  // kNone for RSA
  int bits() const noexcept;     // modulus or curve size
  bool hasPrivate() const noexcept;
  const std::string& kid() const noexcept;
  std::optional<Algorithm> algorithm() const noexcept;  // the JWK "alg" member, if any
  const std::string& use() const noexcept;              // "" or "sig"
  const std::vector<std::string>& keyOps() const noexcept;
  EVP_PKEY* pkey() const noexcept;  // owned by the Jwk; never null

  // RFC 7638 thumbprint: base64url(SHA-256 of the canonical required members).
  const std::string& thumbprint() const noexcept;

  // Public JWK: kty, kid, use, alg, key_ops and the public members only.
  nlohmann::json toPublicJson() const;
  // Private JWK including d (and p, q, dp, dq, qi for RSA); for sealed storage only.
  // Error kInvalidArgument when the key has no private part.
  Result<nlohmann::json> toPrivateJson() const;
  std::string publicPem() const;
  Result<std::string> privatePem() const;  // PKCS#8, unencrypted

  // Copies sharing the same key material with other metadata.
  Jwk withKid(std::string kid) const;
  Jwk withAlgorithm(std::optional<Algorithm> alg) const;
  // The public half (drops the private key).
  Jwk publicOnly() const;

  // May this key verify (or sign) `alg`? Checks key type, curve, the key's own "alg", "use" and
  // "key_ops". Error kTokenAlgKeyMismatch with the reason.
  Result<void> checkAlgorithm(Algorithm alg) const;
  bool isCompatible(Algorithm alg) const noexcept;

  // Short description for messages: `RSA 2048 kid "abc"`.
  std::string describe() const;

  struct Impl;

 private:
  friend struct JwkAccess;
  explicit Jwk(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  // Validates the key in `partial` (type, curve, size, metadata) and fills the derived members.
  static Result<Jwk> finish(Impl&& partial, int minRsaBits);
  std::shared_ptr<const Impl> impl_;
};

// One key of a JWKS that was not usable, and why.
struct SkippedKey {
  std::size_t index = 0;
  std::string kid;  // as given (cut short), "" when absent
  ErrorCode code = ErrorCode::kJwkInvalid;
  std::string reason;
};

struct JwksOptions {
  std::size_t maxBytes = 512 * 1024;
  std::size_t maxKeys = 100;
  int minRsaBits = kMinRsaBits;
};

// A set of public verification keys. Immutable after construction.
class Jwks {
 public:
  Jwks() = default;
  explicit Jwks(std::vector<Jwk> keys) : keys_(std::move(keys)) {}

  // Parses a JWKS document ({"keys":[...]}) strictly. Unusable keys (unknown kty, HMAC "oct",
  // too-small RSA, use other than sig, unsupported crv, bad members, private material...) are
  // skipped and listed in skipped(). Errors: kJwksInvalid (structure, size, count), the JSON
  // codes, kJwksNoUsableKey when no key is usable.
  static Result<Jwks> parse(std::string_view jwksJson, const JwksOptions& options = {});

  std::span<const Jwk> keys() const noexcept { return keys_; }
  const std::vector<SkippedKey>& skipped() const noexcept { return skipped_; }
  bool empty() const noexcept { return keys_.empty(); }
  std::size_t size() const noexcept { return keys_.size(); }

  // The first key with this kid, or nullptr.
  const Jwk* findByKid(std::string_view kid) const noexcept;

  // {"keys":[public JWKs]}
  nlohmann::json toPublicJson() const;

 private:
  std::vector<Jwk> keys_;
  std::vector<SkippedKey> skipped_;
};

}  // namespace tessera::jose
