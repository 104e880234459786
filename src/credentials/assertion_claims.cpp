#include "credentials/assertion_claims.hpp"

namespace tessera::credentials {

Result<nlohmann::json> assertionClaims(const AssertionClaims& claims, SystemTime now,
                                       Seconds maxLifetime) {
  if (claims.issuer.empty() || claims.subject.empty() || claims.audience.empty()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "an assertion needs an issuer, a subject and an audience");
  }
  if (claims.lifetime < Seconds(1) || claims.lifetime > maxLifetime) {
    return makeError(ErrorCode::kInvalidArgument,
                     "assertion lifetime " + std::to_string(claims.lifetime.count()) +
                         " s is not within 1.." + std::to_string(maxLifetime.count()) + " s");
  }
  const std::int64_t iat = toUnixSeconds(now);
  nlohmann::json out = {{"iss", claims.issuer},
                        {"sub", claims.subject},
                        {"aud", claims.audience},
                        {"iat", iat},
                        {"nbf", iat},
                        {"exp", iat + claims.lifetime.count()}};
  if (!claims.jti.empty()) {
    out["jti"] = claims.jti;
  }
  return out;
}

}  // namespace tessera::credentials
