// JSON Web Tokens (RFC 7519): validation of signed tokens against keys and options with an
// explicit `now`, and signing (the hub as OIDC issuer). Pure: bytes + keys + now in, verdict out.
// Used by trust providers (OIDC, Kubernetes, GitHub...) and the hub's issuer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "jose/algorithm.hpp"
#include "jose/json_strict.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"

namespace tessera::jose {

struct JwtValidationOptions {
  std::optional<std::string> issuer{};   // exact match when set
  std::vector<std::string> audiences{};  // token aud must contain one of these; empty = unchecked
  std::chrono::seconds leeway{60};
  std::vector<std::string> requiredClaims{};  // must be present and not null
  bool requireExpiry = true;                  // exp must be present
  std::optional<std::string> typ{};           // e.g. "JWT", "at+jwt"; unset = unchecked
  std::size_t maxTokenBytes = kDefaultMaxTokenBytes;
  AlgorithmSet allowedAlgorithms{};                   // empty = whatever the key allows
  std::optional<std::chrono::seconds> maxLifetime{};  // exp - iat (or nbf) must not exceed it
};

struct VerifiedJwt {
  Algorithm alg = Algorithm::kRs256;
  Jwk key;
  LazyJson header;  // the protected header
  LazyJson claims;  // always a JSON object; the DOM is built on first use
  std::optional<SystemTime> expiresAt;
  std::optional<SystemTime> notBefore;
  std::optional<SystemTime> issuedAt;

  // The string claim `name`, or "" when absent or not a string (builds the claims DOM).
  std::string_view stringClaim(std::string_view name) const;
  std::string_view issuer() const { return stringClaim("iss"); }
  std::string_view subject() const { return stringClaim("sub"); }
};

// Verifies the signature (see verifyCompact) then the claims. Claim errors, each its own code:
// kJson* / kTokenPayloadInvalid (payload not a JSON object), kTokenClaimInvalid (wrong type),
// kTokenClaimMissing, kTokenIssuerMismatch, kTokenAudienceMismatch, kTokenExpired,
// kTokenNotYetValid, kTokenIssuedInFuture, kTokenLifetimeTooLong. b64=false is rejected.
Result<VerifiedJwt> verifyJwt(std::string_view token, const Jwks& keys,
                              const JwtValidationOptions& options, SystemTime now);
Result<VerifiedJwt> verifyJwt(std::string_view token, const Jwk& key,
                              const JwtValidationOptions& options, SystemTime now);

// Signs `claims` (a JSON object) as a compact JWS; the header holds alg, kid (when the key has
// one) and typ (omitted when empty). Errors: kInvalidArgument, kTokenAlgKeyMismatch,
// kCryptoFailure.
Result<std::string> signJwt(const Jwk& privateJwk, Algorithm alg, const nlohmann::json& claims,
                            std::string_view typ = "JWT");

}  // namespace tessera::jose
