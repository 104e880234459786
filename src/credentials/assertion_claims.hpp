// The claims of a JWT the hub signs to present to another party: a web identity token for AWS
// STS, a subject token for Google STS, a federated client assertion for Entra, an RFC 7523
// private_key_jwt client assertion. Called by the *_wire codecs (which fix audience and lifetime
// rules per party); the caller signs the result with jose::signJwt.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace tessera::credentials {

struct AssertionClaims {
  std::string issuer{};
  std::string subject{};
  std::string audience{};
  std::string jti{};  // "" = no jti claim
  Seconds lifetime{300};
};

// {"iss","sub","aud","iat","nbf","exp"[,"jti"]} with iat = nbf = now and exp = now + lifetime:
// integers, as AWS requires. kInvalidArgument when iss, sub or aud is empty or the lifetime is
// not within 1 s..maxLifetime.
Result<nlohmann::json> assertionClaims(const AssertionClaims& claims, SystemTime now,
                                       Seconds maxLifetime);

}  // namespace tessera::credentials
