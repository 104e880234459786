#include "model/kind.hpp"

#include <cctype>
#include <string>

namespace tessera::model {

namespace {
struct KindNames {
  Kind kind;
  std::string_view name;
  std::string_view collection;
};
constexpr std::array<KindNames, 6> kNames = {{
    {Kind::kClientWorkload, "ClientWorkload", "clientWorkloads"},
    {Kind::kServerWorkload, "ServerWorkload", "serverWorkloads"},
    {Kind::kTrustProvider, "TrustProvider", "trustProviders"},
    {Kind::kAccessCondition, "AccessCondition", "accessConditions"},
    {Kind::kCredentialProvider, "CredentialProvider", "credentialProviders"},
    {Kind::kAccessPolicy, "AccessPolicy", "accessPolicies"},
}};

std::string folded(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '-' && c != '_') {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}
}  // namespace

std::string_view kindName(Kind kind) noexcept {
  return kNames[static_cast<std::size_t>(kind)].name;
}

std::string_view collectionName(Kind kind) noexcept {
  return kNames[static_cast<std::size_t>(kind)].collection;
}

std::optional<Kind> parseKindName(std::string_view name) noexcept {
  for (const auto& n : kNames) {
    if (n.name == name) {
      return n.kind;
    }
  }
  return std::nullopt;
}

std::optional<Kind> parseKindLoose(std::string_view text) {
  const std::string f = folded(text);
  for (const auto& n : kNames) {
    if (f == folded(n.name) || f == folded(n.collection)) {
      return n.kind;
    }
  }
  return std::nullopt;
}

}  // namespace tessera::model
