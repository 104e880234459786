#include <string>

#include "jose/json_strict.hpp"
#include "jose/jwk.hpp"

namespace tessera::jose {
namespace {

std::string shortKid(const nlohmann::json& key) {
  if (!key.is_object()) {
    return {};
  }
  auto it = key.find("kid");
  if (it == key.end() || !it->is_string()) {
    return {};
  }
  std::string kid = it->get<std::string>().substr(0, 64);
  for (char& c : kid) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      c = '?';
    }
  }
  return kid;
}

}  // namespace

Result<Jwks> Jwks::parse(std::string_view jwksJson, const JwksOptions& options) {
  if (jwksJson.size() > options.maxBytes) {
    return fail(ErrorCode::kJwksInvalid, "JWKS: document of " + std::to_string(jwksJson.size()) +
                                             " bytes exceeds the limit of " +
                                             std::to_string(options.maxBytes));
  }
  auto doc = parseStrictJson(jwksJson, JsonLimits{.maxBytes = options.maxBytes, .maxDepth = 8});
  if (!doc) {
    return makeError(doc.error().code, "JWKS: " + doc.error().message);
  }
  if (!doc->is_object()) {
    return fail(ErrorCode::kJwksInvalid, "JWKS: not a JSON object");
  }
  auto keysIt = doc->find("keys");
  if (keysIt == doc->end() || !keysIt->is_array()) {
    return fail(ErrorCode::kJwksInvalid, "JWKS: \"keys\" is missing or not an array");
  }
  // Work on the std::vector directly (also keeps GCC's -Wnull-dereference quiet at -O2).
  const auto& keyList = keysIt->get_ref<const nlohmann::json::array_t&>();
  if (keyList.size() > options.maxKeys) {
    return fail(ErrorCode::kJwksInvalid, "JWKS: " + std::to_string(keyList.size()) +
                                             " keys exceed the limit of " +
                                             std::to_string(options.maxKeys));
  }
  Jwks out;
  out.keys_.reserve(keyList.size());
  const JwkImportOptions importOptions{.allowPrivate = false, .minRsaBits = options.minRsaBits};
  std::size_t index = 0;
  for (const auto& key : keyList) {
    auto jwk = Jwk::fromJson(key, importOptions);
    if (jwk) {
      out.keys_.push_back(std::move(*jwk));
    } else {
      out.skipped_.push_back(SkippedKey{.index = index,
                                        .kid = shortKid(key),
                                        .code = jwk.error().code,
                                        .reason = jwk.error().message});
    }
    ++index;
  }
  if (out.keys_.empty()) {
    std::string msg = "JWKS: no usable key among " + std::to_string(index);
    for (const auto& s : out.skipped_) {
      if (msg.size() > 1500) {
        msg += "; ...";
        break;
      }
      msg += "; #" + std::to_string(s.index);
      if (!s.kid.empty()) {
        msg += " (kid \"" + s.kid + "\")";
      }
      msg += ": " + s.reason;
    }
    return fail(ErrorCode::kJwksNoUsableKey, std::move(msg));
  }
  return out;
}

const Jwk* Jwks::findByKid(std::string_view kid) const noexcept {
  for (const auto& k : keys_) {
    if (k.kid() == kid) {
      return &k;
    }
  }
  return nullptr;
}

nlohmann::json Jwks::toPublicJson() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : keys_) {
    keys.push_back(k.toPublicJson());
  }
  return nlohmann::json{{"keys", std::move(keys)}};
}

}  // namespace tessera::jose
