#include "edge/grant.hpp"

#include <nlohmann/json.hpp>

#include "common/time_format.hpp"
#include "crypto/digest.hpp"

namespace tessera::edge {

namespace {
Error malformed(std::string_view field, std::string_view reason) {
  return Error{ErrorCode::kHttpUpstream, "the hub's access answer is malformed: " +
                                             std::string(field) + " " + std::string(reason)};
}

std::string stringOr(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<SystemTime> timeField(const nlohmann::json& object, const char* name,
                             std::string_view where) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return malformed(std::string(where) + "/" + name, "is missing");
  }
  auto t = parseRfc3339(it->get_ref<const std::string&>());
  if (!t) {
    return malformed(std::string(where) + "/" + name, "is not an RFC 3339 time");
  }
  return *t;
}
}  // namespace

std::optional<std::string_view> Grant::field(std::string_view name) const {
  const auto it = fields.find(std::string(name));
  if (it == fields.end()) {
    return std::nullopt;
  }
  return std::string_view(it->second);
}

std::optional<std::string_view> Grant::secretValue() const {
  for (const char* name : {"token", "accessToken", "apiKey"}) {
    if (auto v = field(name)) {
      return v;
    }
  }
  return std::nullopt;
}

std::string Grant::fingerprint() const {
  std::string material = credentialType;
  for (const auto& [name, value] : fields) {
    material += '\n' + name + '=' + value;
  }
  return crypto::fingerprint(material);
}

Result<Grant> parseAccessAnswer(const nlohmann::json& answer) {
  if (!answer.is_object()) {
    return malformed("/", "is not a JSON object");
  }
  const std::string outcome = stringOr(answer, "outcome");
  const std::string contextId = stringOr(answer, "contextId");
  const std::string reason = stringOr(answer, "reason");
  const std::string reasonCode = stringOr(answer, "reasonCode");
  if (outcome == "unauthorized") {
    return Error{ErrorCode::kPermissionDenied,
                 reasonCode + ": " + reason + " (context " + contextId + ")"};
  }
  if (outcome == "error") {
    return Error{ErrorCode::kUnavailable,
                 reasonCode + ": " + reason + " (context " + contextId + ")"};
  }
  if (outcome != "authorized") {
    return malformed("/outcome", "is not authorized, unauthorized or error");
  }
  const auto g = answer.find("grant");
  if (g == answer.end() || !g->is_object()) {
    return malformed("/grant", "is missing from an authorized answer");
  }
  const auto credential = g->find("credential");
  if (credential == g->end() || !credential->is_object()) {
    return malformed("/grant/credential", "is missing");
  }
  Grant grant;
  grant.contextId = contextId;
  grant.serverWorkload = stringOr(answer, "serverWorkload");
  grant.policy = stringOr(answer, "policy");
  for (const auto& [name, value] : credential->items()) {
    if (name == "type") {
      if (!value.is_string()) {
        return malformed("/grant/credential/type", "is not a string");
      }
      grant.credentialType = value.get<std::string>();
    } else if (name != "expiresAt" && value.is_string()) {
      grant.fields.emplace(name, value.get<std::string>());
    }
  }
  if (grant.credentialType.empty()) {
    return malformed("/grant/credential/type", "is missing");
  }
  const auto injection = g->find("injection");
  if (injection == g->end() || !injection->is_object()) {
    return malformed("/grant/injection", "is missing");
  }
  grant.injection.method = stringOr(*injection, "method");
  grant.injection.header = stringOr(*injection, "header");
  grant.injection.prefix = stringOr(*injection, "prefix");
  grant.injection.parameter = stringOr(*injection, "parameter");
  if (grant.injection.method.empty()) {
    return malformed("/grant/injection/method", "is missing");
  }
  auto expires = timeField(*g, "expiresAt", "/grant");
  if (!expires) {
    return expires.error();
  }
  auto refresh = timeField(*g, "refreshAt", "/grant");
  if (!refresh) {
    return refresh.error();
  }
  grant.expiresAt = *expires;
  grant.refreshAt = std::min(*refresh, *expires);
  return grant;
}

}  // namespace tessera::edge
