#include "jose/jwt.hpp"

#include <charconv>
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

// NumericDate (RFC 7519 section 2): a JSON number of seconds, fractions truncated. nullopt when
// absent.
Result<std::optional<std::int64_t>> numericDate(const JsonObjectScan& claims, const char* name) {
  const JsonMember* m = claims.find(name);
  if (m == nullptr) {
    return std::optional<std::int64_t>{};
  }
  if (m->kind != JsonKind::kNumber) {
    return fail(ErrorCode::kTokenClaimInvalid, std::string("claim \"") + name +
                                                   "\" must be a NumericDate (number), not a " +
                                                   std::string(jsonKindName(m->kind)));
  }
  constexpr std::int64_t kLimit = 253402300799;  // 9999-12-31T23:59:59Z
  const char* first = m->raw.data();
  const char* last = first + m->raw.size();
  std::int64_t value = kLimit + 1;
  std::int64_t integer = 0;
  const auto ir = std::from_chars(first, last, integer);
  if (ir.ec == std::errc() && ir.ptr == last) {
    value = integer;
  } else if (ir.ec != std::errc::result_out_of_range || ir.ptr != last) {
    double d = 0;
    const auto dr = std::from_chars(first, last, d);
    if (dr.ec == std::errc() && dr.ptr == last && std::isfinite(d) &&
        std::fabs(d) <= static_cast<double>(kLimit)) {
      value = static_cast<std::int64_t>(std::floor(d));
    }
  }
  if (value < 0 || value > kLimit) {
    return fail(ErrorCode::kTokenClaimInvalid,
                std::string("claim \"") + name + "\" is out of range");
  }
  return std::optional<std::int64_t>(value);
}

std::string listForMessage(std::string_view rawJson) {
  std::string out(rawJson.substr(0, 256));
  if (rawJson.size() > 256) {
    out += "...";
  }
  return out;
}

std::string listForMessage(const std::vector<std::string>& values) {
  return listForMessage(json(values).dump(-1, ' ', false, json::error_handler_t::replace));
}

Result<VerifiedJwt> validateClaims(VerifiedJws&& jws, const JwtValidationOptions& options,
                                   SystemTime now) {
  thread_local JsonObjectScan claims;  // scratch: views into jws.payload, used only in this call
  auto kind = scanStrictJson(
      jws.payload, JsonLimits{.maxBytes = options.maxTokenBytes, .maxDepth = 16}, &claims);
  if (!kind) {
    return makeError(kind.error().code, "token payload: " + kind.error().message);
  }
  if (*kind != JsonKind::kObject) {
    return fail(ErrorCode::kTokenPayloadInvalid,
                "token payload is a JSON " + std::string(jsonKindName(*kind)) + ", not an object");
  }
  std::string scratch;

  const JsonMember* iss = claims.find("iss");
  if (iss != nullptr && iss->kind != JsonKind::kString) {
    return fail(ErrorCode::kTokenClaimInvalid, "claim \"iss\" is not a string");
  }
  if (options.issuer) {
    if (iss == nullptr) {
      return fail(ErrorCode::kTokenClaimMissing,
                  "token has no \"iss\"; expected " + quoteForMessage(*options.issuer, 256));
    }
    const std::string_view value = jsonStringValue(iss->raw, scratch);
    if (value != *options.issuer) {
      return fail(ErrorCode::kTokenIssuerMismatch, "issuer " + quoteForMessage(value, 256) +
                                                       " is not the expected " +
                                                       quoteForMessage(*options.issuer, 256));
    }
  }

  if (const JsonMember* sub = claims.find("sub");
      sub != nullptr && sub->kind != JsonKind::kString) {
    return fail(ErrorCode::kTokenClaimInvalid, "claim \"sub\" is not a string");
  }

  const JsonMember* aud = claims.find("aud");
  thread_local std::vector<std::pair<JsonKind, std::string_view>> audList;
  audList.clear();
  if (aud != nullptr) {
    bool valid = aud->kind == JsonKind::kString || aud->kind == JsonKind::kArray;
    if (aud->kind == JsonKind::kArray) {
      jsonArrayElementsInto(aud->raw, audList);
      for (const auto& element : audList) {
        valid = valid && element.first == JsonKind::kString;
      }
    } else if (aud->kind == JsonKind::kString) {
      audList.emplace_back(JsonKind::kString, aud->raw);
    }
    if (!valid) {
      return fail(ErrorCode::kTokenClaimInvalid,
                  "claim \"aud\" must be a string or an array of strings");
    }
  }
  if (!options.audiences.empty()) {
    if (aud == nullptr) {
      return fail(ErrorCode::kTokenClaimMissing,
                  "token has no \"aud\"; expected one of " + listForMessage(options.audiences));
    }
    bool matched = false;
    for (const auto& element : audList) {
      const std::string_view value = jsonStringValue(element.second, scratch);
      for (const auto& want : options.audiences) {
        matched = matched || value == want;
      }
    }
    if (!matched) {
      return fail(ErrorCode::kTokenAudienceMismatch, "audience " + listForMessage(aud->raw) +
                                                         " does not include any of " +
                                                         listForMessage(options.audiences));
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
  auto leewayText = [leeway] { return "; leeway " + std::to_string(leeway) + " s"; };
  if (!exp->has_value()) {
    if (options.requireExpiry) {
      return fail(ErrorCode::kTokenClaimMissing, "token has no \"exp\" (expiry is required)");
    }
  } else if (nowS - leeway >= **exp) {
    return fail(ErrorCode::kTokenExpired, "token expired at " + formatUnixRfc3339(**exp) + ", " +
                                              std::to_string(nowS - **exp) + " s ago" +
                                              leewayText());
  }
  if (nbf->has_value() && nowS + leeway < **nbf) {
    return fail(ErrorCode::kTokenNotYetValid, "token not valid before " + formatUnixRfc3339(**nbf) +
                                                  ", " + std::to_string(**nbf - nowS) +
                                                  " s from now" + leewayText());
  }
  if (iat->has_value() && nowS + leeway < **iat) {
    return fail(ErrorCode::kTokenIssuedInFuture, "token issued at " + formatUnixRfc3339(**iat) +
                                                     ", " + std::to_string(**iat - nowS) +
                                                     " s in the future" + leewayText());
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
    const JsonMember* m = claims.find(name);
    if (m == nullptr || m->kind == JsonKind::kNull) {
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
                     .claims = LazyJson(std::move(jws.payload)),
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

std::string_view VerifiedJwt::stringClaim(std::string_view name) const {
  // Scanned rather than read from the DOM, which trust providers that read their claims from the
  // text (Kubernetes) never build. A value with escapes is returned from the DOM, where it is
  // decoded and lives as long as this token.
  thread_local JsonObjectScan scan;  // scratch: views into claims.text(), used only in this call
  const auto kind =
      scanStrictJson(claims.text(), JsonLimits{.maxBytes = claims.text().size()}, &scan);
  const JsonMember* member = kind ? scan.find(name) : nullptr;
  if (member == nullptr || member->kind != JsonKind::kString) {
    scan.clear();
    return {};
  }
  const std::string_view raw = member->raw;
  scan.clear();
  if (raw.find('\\') == std::string_view::npos) {
    return raw.substr(1, raw.size() - 2);  // within claims.text(): stable
  }
  const json& doc = claims.get();
  const auto it = doc.find(name);
  return it != doc.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                            : std::string_view();
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
