#include "jose/jwt.hpp"

#include <cmath>
#include <limits>

#include "common/time_format.hpp"
#include "jose/base64url.hpp"
#include "jose/json_strict.hpp"
#include "jose/jws_internal.hpp"

namespace tessera::jose {
namespace {

using detail::quoteForMessage;
using nlohmann::json;

// NumericDate (RFC 7519 section 2): a JSON number of seconds; fractions are truncated towards the
// stricter side by the caller's comparison. nullopt when absent.
Result<std::optional<std::int64_t>> numericDate(const json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end()) {
    return std::optional<std::int64_t>{};
  }
  constexpr std::int64_t kLimit = 253402300799;  // 9999-12-31T23:59:59Z
  std::int64_t value = 0;
  if (it->is_number_integer() && !it->is_number_unsigned()) {
    value = it->get<std::int64_t>();
  } else if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    value = u > static_cast<std::uint64_t>(kLimit) ? kLimit + 1 : static_cast<std::int64_t>(u);
  } else if (it->is_number_float()) {
    const double d = it->get<double>();
    value = std::isfinite(d) && std::fabs(d) <= static_cast<double>(kLimit)
                ? static_cast<std::int64_t>(std::floor(d))
                : kLimit + 1;
  } else {
    return fail(ErrorCode::kTokenClaimInvalid, std::string("claim \"") + name +
                                                   "\" must be a NumericDate (number), not a " +
                                                   it->type_name());
  }
  if (value < 0 || value > kLimit) {
    return fail(ErrorCode::kTokenClaimInvalid,
                std::string("claim \"") + name + "\" is out of range");
  }
  return std::optional<std::int64_t>(value);
}

std::string listForMessage(const json& list) {
  std::string out = list.dump(-1, ' ', false, json::error_handler_t::replace);
  if (out.size() > 256) {
    out.resize(256);
    out += "...]";
  }
  return out;
}

Result<VerifiedJwt> validateClaims(VerifiedJws&& jws, const JwtValidationOptions& options,
                                   SystemTime now) {
  if (const auto b64 = jws.header.find("b64"); b64 != jws.header.end() && *b64 != json(true)) {
    return fail(ErrorCode::kTokenHeaderInvalid, "b64=false is not allowed for JWTs");
  }
  auto doc =
      parseStrictJson(jws.payload, JsonLimits{.maxBytes = options.maxTokenBytes, .maxDepth = 16});
  if (!doc) {
    return makeError(doc.error().code, "token payload: " + doc.error().message);
  }
  json& claims = *doc;
  if (!claims.is_object()) {
    return fail(ErrorCode::kTokenPayloadInvalid,
                std::string("token payload is a JSON ") + claims.type_name() + ", not an object");
  }
  const auto end = claims.end();

  if (options.issuer) {
    const auto it = claims.find("iss");
    if (it == end) {
      return fail(ErrorCode::kTokenClaimMissing,
                  "token has no \"iss\"; expected " + quoteForMessage(*options.issuer, 256));
    }
    if (!it->is_string()) {
      return fail(ErrorCode::kTokenClaimInvalid, "claim \"iss\" is not a string");
    }
    const auto& iss = it->get_ref<const std::string&>();
    if (iss != *options.issuer) {
      return fail(ErrorCode::kTokenIssuerMismatch, "issuer " + quoteForMessage(iss, 256) +
                                                       " is not the expected " +
                                                       quoteForMessage(*options.issuer, 256));
    }
  } else if (const auto it = claims.find("iss"); it != end && !it->is_string()) {
    return fail(ErrorCode::kTokenClaimInvalid, "claim \"iss\" is not a string");
  }

  if (const auto it = claims.find("sub"); it != end && !it->is_string()) {
    return fail(ErrorCode::kTokenClaimInvalid, "claim \"sub\" is not a string");
  }

  const auto audIt = claims.find("aud");
  if (audIt != end) {
    bool valid = audIt->is_string() || audIt->is_array();
    if (audIt->is_array()) {
      for (const auto& a : *audIt) {
        valid = valid && a.is_string();
      }
    }
    if (!valid) {
      return fail(ErrorCode::kTokenClaimInvalid,
                  "claim \"aud\" must be a string or an array of strings");
    }
  }
  if (!options.audiences.empty()) {
    if (audIt == end) {
      return fail(ErrorCode::kTokenClaimMissing, "token has no \"aud\"; expected one of " +
                                                     listForMessage(json(options.audiences)));
    }
    bool matched = false;
    if (audIt->is_string()) {
      const auto& aud = audIt->get_ref<const std::string&>();
      for (const auto& want : options.audiences) {
        matched = matched || aud == want;
      }
    } else {
      for (const auto& a : *audIt) {
        const auto& aud = a.get_ref<const std::string&>();
        for (const auto& want : options.audiences) {
          matched = matched || aud == want;
        }
      }
    }
    if (!matched) {
      return fail(ErrorCode::kTokenAudienceMismatch, "audience " + listForMessage(*audIt) +
                                                         " does not include any of " +
                                                         listForMessage(json(options.audiences)));
    }
  }

  auto exp = numericDate(claims, "exp");
  if (!exp) {
    return std::move(exp).error();
  }
  auto nbf = numericDate(claims, "nbf");
  if (!nbf) {
    return std::move(nbf).error();
  }
  auto iat = numericDate(claims, "iat");
  if (!iat) {
    return std::move(iat).error();
  }
  const std::int64_t nowS = toUnixSeconds(now);
  const std::int64_t leeway = options.leeway.count();
  const std::string leewayText = "; leeway " + std::to_string(leeway) + " s";
  if (!exp->has_value()) {
    if (options.requireExpiry) {
      return fail(ErrorCode::kTokenClaimMissing, "token has no \"exp\" (expiry is required)");
    }
  } else if (nowS - leeway >= **exp) {
    return fail(ErrorCode::kTokenExpired, "token expired at " + formatUnixRfc3339(**exp) + ", " +
                                              std::to_string(nowS - **exp) + " s ago" + leewayText);
  }
  if (nbf->has_value() && nowS + leeway < **nbf) {
    return fail(ErrorCode::kTokenNotYetValid, "token not valid before " + formatUnixRfc3339(**nbf) +
                                                  ", " + std::to_string(**nbf - nowS) +
                                                  " s from now" + leewayText);
  }
  if (iat->has_value() && nowS + leeway < **iat) {
    return fail(ErrorCode::kTokenIssuedInFuture, "token issued at " + formatUnixRfc3339(**iat) +
                                                     ", " + std::to_string(**iat - nowS) +
                                                     " s in the future" + leewayText);
  }
  if (options.maxLifetime) {
    const auto& start = iat->has_value() ? *iat : *nbf;
    if (!exp->has_value() || !start.has_value()) {
      return fail(ErrorCode::kTokenClaimMissing,
                  "a maximum lifetime is configured but the token lacks \"exp\" or "
                  "\"iat\"/\"nbf\"");
    }
    const std::int64_t lifetime = **exp - *start;
    if (lifetime > options.maxLifetime->count()) {
      return fail(ErrorCode::kTokenLifetimeTooLong,
                  "token lifetime of " + std::to_string(lifetime) + " s (" +
                      (iat->has_value() ? "iat" : "nbf") + " " + formatUnixRfc3339(*start) +
                      " to exp " + formatUnixRfc3339(**exp) + ") exceeds the maximum of " +
                      std::to_string(options.maxLifetime->count()) + " s");
    }
  }
  for (const auto& name : options.requiredClaims) {
    const auto it = claims.find(name);
    if (it == end || it->is_null()) {
      return fail(ErrorCode::kTokenClaimMissing,
                  "required claim " + quoteForMessage(name) + " is missing");
    }
  }

  auto toTime = [](const std::optional<std::int64_t>& s) -> std::optional<SystemTime> {
    if (!s) {
      return std::nullopt;
    }
    return fromUnixSeconds(*s);
  };
  return VerifiedJwt{.alg = jws.alg,
                     .key = std::move(jws.key),
                     .header = std::move(jws.header),
                     .claims = std::move(claims),
                     .expiresAt = toTime(*exp),
                     .notBefore = toTime(*nbf),
                     .issuedAt = toTime(*iat)};
}

Result<VerifiedJwt> verifyJwtImpl(std::string_view token, std::span<const Jwk> keys,
                                  const JwtValidationOptions& options, SystemTime now) {
  auto jws = detail::verifyCompact(token, keys, options.maxTokenBytes, options.allowedAlgorithms,
                                   options.typ ? &*options.typ : nullptr);
  if (!jws) {
    return std::move(jws).error();
  }
  return validateClaims(std::move(*jws), options, now);
}

}  // namespace

std::string_view VerifiedJwt::stringClaim(std::string_view name) const noexcept {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_string()) {
    return {};
  }
  return it->get_ref<const std::string&>();
}

Result<VerifiedJwt> verifyJwt(std::string_view token, const Jwks& keys,
                              const JwtValidationOptions& options, SystemTime now) {
  return verifyJwtImpl(token, keys.keys(), options, now);
}

Result<VerifiedJwt> verifyJwt(std::string_view token, const Jwk& key,
                              const JwtValidationOptions& options, SystemTime now) {
  return verifyJwtImpl(token, std::span<const Jwk>(&key, 1), options, now);
}

Result<std::string> signJwt(const Jwk& privateJwk, Algorithm alg, const json& claims,
                            std::string_view typ) {
  if (!claims.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "JWT claims must be a JSON object");
  }
  std::string payload;
  try {
    payload = claims.dump();
  } catch (const json::exception&) {
    return fail(ErrorCode::kInvalidArgument, "JWT claims hold invalid UTF-8");
  }
  return signCompact(privateJwk, alg, payload,
                     JwsSignOptions{.typ = std::string(typ), .cty = {}, .includeKid = true});
}

}  // namespace tessera::jose
