// scanCommonAccessRequest: the access API's body read from the strict scanner's spans. Every
// access decision parses one body; building and freeing an nlohmann tree for it cost more than
// the rest of the parse. Anything outside the common shape returns nullopt, and the caller's
// general path (parseStrictJson + parseAccessRequest) decides it, so that path alone words errors.
#include <optional>
#include <string>
#include <string_view>

#include "conditions/network_condition.hpp"
#include "hub/access_service.hpp"
#include "hub/admin_api.hpp"
#include "jose/json_strict.hpp"

namespace tessera::hub {

namespace {

using jose::JsonKind;

// A JSON number that nlohmann reads as an integer in 1..65535: digits only (a sign, fraction or
// exponent makes it something else or out of range, which the general path words).
std::optional<std::uint16_t> portOf(JsonKind kind, std::string_view raw) {
  if (kind != JsonKind::kNumber || raw.empty() || raw.size() > 5) {
    return std::nullopt;
  }
  unsigned value = 0;
  for (const char c : raw) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

bool scanObject(std::string_view raw, jose::JsonObjectScan& out) {
  // Already validated as part of the whole body; scanned again only to list its members.
  jose::JsonLimits limits;
  limits.maxBytes = raw.size();
  limits.maxDepth = kMaxJsonDepth;
  const auto kind = jose::scanStrictJson(raw, limits, &out);
  return kind && *kind == JsonKind::kObject;
}

bool readTarget(std::string_view raw, policy::Target& target) {
  jose::JsonObjectScan scan;
  if (!scanObject(raw, scan) || scan.members().size() != 3) {
    return false;
  }
  const auto* host = scan.find("host");
  const auto* port = scan.find("port");
  const auto* protocol = scan.find("protocol");
  if (host == nullptr || port == nullptr || protocol == nullptr) {
    return false;
  }
  auto hostText = jose::jsonStringOf(host->kind, host->raw);
  auto portValue = portOf(port->kind, port->raw);
  auto protocolText = jose::jsonStringOf(protocol->kind, protocol->raw);
  if (!hostText || hostText->empty() || hostText->size() > 253 || !portValue || !protocolText ||
      protocolText->empty() || protocolText->size() > 32) {
    return false;
  }
  for (auto& c : *hostText) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  target.host = std::move(*hostText);
  target.port = *portValue;
  target.protocol = std::move(*protocolText);
  return true;
}

bool readContext(std::string_view raw, AccessRequest& request) {
  jose::JsonObjectScan scan;
  if (!scanObject(raw, scan) || scan.members().size() > kMaxContextMembers) {
    return false;
  }
  for (const auto& m : scan.members()) {
    auto value = jose::jsonStringOf(m.kind, m.raw);
    if (!value || m.name.empty() || m.name.size() > 64 || value->size() > kMaxContextValueBytes) {
      return false;
    }
    if (m.name == "sourceIp") {
      if (!conditions::parseIpAddress(*value)) {
        return false;
      }
      request.sourceIp = *value;
    }
    request.context.insert_or_assign(std::string(m.name),
                                     trust::Attribute{std::move(*value), false, "context"});
  }
  return true;
}

// Evidence made of tokens only; documents and signed requests take the general path.
bool readEvidence(std::string_view raw, trust::Evidence& evidence) {
  jose::JsonObjectScan scan;
  if (!scanObject(raw, scan)) {
    return false;
  }
  for (const auto& m : scan.members()) {
    if (m.name != "tokens" || m.kind != JsonKind::kArray) {
      return false;
    }
    const auto elements = jose::jsonArrayElements(m.raw);
    if (elements.size() > trust::kMaxEvidenceTokens) {
      return false;
    }
    for (const auto& [kind, text] : elements) {
      auto token = jose::jsonStringOf(kind, text);
      if (!token || token->empty() || token->size() > trust::kMaxEvidenceTokenBytes) {
        return false;
      }
      evidence.tokens.push_back(std::move(*token));
    }
  }
  return true;
}

}  // namespace

std::optional<AccessRequest> scanCommonAccessRequest(std::string_view body, std::size_t maxBytes) {
  jose::JsonLimits limits;
  limits.maxBytes = maxBytes;
  limits.maxDepth = kMaxJsonDepth;
  jose::JsonObjectScan top;
  const auto kind = jose::scanStrictJson(body, limits, &top);
  if (!kind || *kind != JsonKind::kObject) {
    return std::nullopt;
  }
  AccessRequest request;
  bool hasTarget = false;
  for (const auto& m : top.members()) {
    bool ok = false;
    if (m.name == "target") {
      ok = readTarget(m.raw, request.target);
      hasTarget = ok;
    } else if (m.name == "context") {
      ok = readContext(m.raw, request);
    } else if (m.name == "evidence") {
      ok = readEvidence(m.raw, request.evidence);
    }
    if (!ok) {
      return std::nullopt;
    }
  }
  if (!hasTarget) {
    return std::nullopt;
  }
  return request;
}

}  // namespace tessera::hub
