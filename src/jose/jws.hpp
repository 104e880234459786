// JWS compact serialization (RFC 7515): signing and verifying with asymmetric keys. The KEY
// decides the algorithm family; a token header can only name an algorithm that key allows and
// never supplies a key (jku/x5u/jwk/x5c are rejected). Used by jwt and by anything signing or
// checking detached-free compact JWS.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "jose/algorithm.hpp"
#include "jose/json_strict.hpp"
#include "jose/jwk.hpp"

namespace tessera::jose {

inline constexpr std::size_t kDefaultMaxTokenBytes = 16 * 1024;

// Signs `signingInput` (ASCII "header.payload") with a private key; returns the JWS signature
// bytes (RSA: modulus size; ECDSA: raw R||S; Ed25519: 64 bytes), not base64url.
// Errors: kInvalidArgument (no private key), kTokenAlgKeyMismatch, kCryptoFailure.
Result<std::string> signBytes(const Jwk& key, Algorithm alg, std::string_view signingInput);

// Verifies JWS signature bytes over `signingInput`. ECDSA signatures must be raw R||S of exactly
// twice the curve size (DER is rejected). Errors: kTokenAlgKeyMismatch, kTokenSignatureInvalid.
Result<void> verifyBytes(const Jwk& key, Algorithm alg, std::string_view signingInput,
                         std::string_view signature);

struct JwsSignOptions {
  std::string typ{};  // "" = no typ member
  std::string cty{};  // "" = no cty member
  bool includeKid = true;
};

// base64url(header) "." base64url(payload) "." base64url(signature); the header holds alg, kid
// (when the key has one and includeKid), typ, cty.
Result<std::string> signCompact(const Jwk& key, Algorithm alg, std::string_view payload,
                                const JwsSignOptions& options = {});

struct JwsVerifyOptions {
  std::size_t maxTokenBytes = kDefaultMaxTokenBytes;
  // Empty: any algorithm the key allows.
  AlgorithmSet allowedAlgorithms{};
  // When set, the header typ must match (case-insensitive, "application/" prefix optional).
  std::optional<std::string> typ{};
};

struct VerifiedJws {
  Algorithm alg = Algorithm::kRs256;
  Jwk key;              // the key that verified the signature
  LazyJson header;      // the protected header (validated; DOM built on first use)
  std::string payload;  // decoded
};

// Verifies a compact JWS against candidate keys. With a header kid, only keys with that kid are
// tried (kTokenKeyNotFound if none); without, every compatible key is tried.
// Errors, each its own code: kTokenTooLarge, kTokenSegmentCount, kTokenMalformed,
// kBase64Invalid, kJsonInvalid/kJsonDuplicateMember/kJsonTooDeep (header), kTokenHeaderInvalid,
// kTokenAlgNone, kTokenAlgHmacRejected, kTokenAlgUnsupported, kTokenAlgNotAllowed,
// kTokenEmbeddedKeyRejected, kTokenCritUnsupported, kTokenTypMismatch, kTokenKeyNotFound,
// kTokenAlgKeyMismatch, kTokenSignatureInvalid.
Result<VerifiedJws> verifyCompact(std::string_view token, std::span<const Jwk> keys,
                                  const JwsVerifyOptions& options = {});
Result<VerifiedJws> verifyCompact(std::string_view token, const Jwks& keys,
                                  const JwsVerifyOptions& options = {});
Result<VerifiedJws> verifyCompact(std::string_view token, const Jwk& key,
                                  const JwsVerifyOptions& options = {});

// Case-insensitive media type comparison with an optional "application/" prefix on either side.
bool typMatches(std::string_view headerTyp, std::string_view expected) noexcept;

}  // namespace tessera::jose
