// JWS signature algorithms (RFC 7518 / RFC 8037), key types and curves, and the rules that tie an
// algorithm to the key that may verify it. Used by jwk, jws and jwt, and by callers that configure
// allow-lists (trust providers, the hub's issuer).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tessera::jose {

// The asymmetric JWS algorithms Tessera supports. HMAC (HS*) and "none" are deliberately absent.
enum class Algorithm : std::uint8_t {
  kRs256,
  kRs384,
  kRs512,
  kPs256,
  kPs384,
  kPs512,
  kEs256,
  kEs384,
  kEs512,
  kEdDsa,  // Ed25519 only
};

inline constexpr std::array<Algorithm, 10> kAllAlgorithms = {
    Algorithm::kRs256, Algorithm::kRs384, Algorithm::kRs512, Algorithm::kPs256, Algorithm::kPs384,
    Algorithm::kPs512, Algorithm::kEs256, Algorithm::kEs384, Algorithm::kEs512, Algorithm::kEdDsa};

enum class KeyType : std::uint8_t { kRsa, kEc, kOkp };

enum class Curve : std::uint8_t { kNone, kP256, kP384, kP521, kEd25519 };

// "RS256", "ES256", "EdDSA"...
std::string_view algorithmName(Algorithm alg) noexcept;
// Exact (case-sensitive) lookup of a supported algorithm name; nullopt for anything else.
std::optional<Algorithm> algorithmFromName(std::string_view name) noexcept;

// Classifies the "alg" of a token header: "none" in any case -> kTokenAlgNone; HS256/384/512 (any
// case) -> kTokenAlgHmacRejected; any other unsupported name -> kTokenAlgUnsupported.
Result<Algorithm> parseTokenAlgorithm(std::string_view name);

// The key type an algorithm needs, and for EC/OKP the one curve it needs (kNone for RSA).
KeyType requiredKeyType(Algorithm alg) noexcept;
Curve requiredCurve(Algorithm alg) noexcept;

// Bytes of one coordinate (and of an ECDSA R or S, and of an Ed25519 public key) on `curve`:
// 32, 48, 66 for P-256/384/521, 32 for Ed25519, 0 for kNone.
std::size_t curveCoordinateSize(Curve curve) noexcept;

std::string_view keyTypeName(KeyType type) noexcept;  // "RSA", "EC", "OKP" (the JWK kty)
std::string_view curveName(Curve curve) noexcept;     // "P-256", ..., "Ed25519"; "" for kNone
std::optional<Curve> curveFromName(std::string_view name) noexcept;  // JWK crv names

// A small set of algorithms (an allow-list). An empty set means "no restriction" where documented.
class AlgorithmSet {
 public:
  constexpr AlgorithmSet() = default;
  constexpr AlgorithmSet(std::initializer_list<Algorithm> algs) {
    for (Algorithm a : algs) {
      insert(a);
    }
  }
  constexpr void insert(Algorithm alg) noexcept { bits_ |= bit(alg); }
  constexpr bool contains(Algorithm alg) const noexcept { return (bits_ & bit(alg)) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  // "[RS256, ES256]"
  std::string describe() const;

 private:
  static constexpr std::uint32_t bit(Algorithm alg) noexcept {
    return std::uint32_t{1} << static_cast<unsigned>(alg);
  }
  std::uint32_t bits_ = 0;
};

}  // namespace tessera::jose
