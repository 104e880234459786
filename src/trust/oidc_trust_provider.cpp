// TrustProvider type "oidc": ID tokens of any OIDC issuer. Every scalar claim is an attribute,
// nested claims by dotted path ("realm_access.role"); rules and client workloads read them as
// oidc.<path>.
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {
constexpr int kMaxDepth = 8;
constexpr std::size_t kMaxAttributes = 256;

void flatten(const nlohmann::json& value, const std::string& path, int depth,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (out.size() >= kMaxAttributes) {
    return;
  }
  if (value.is_object() && depth < kMaxDepth) {
    for (const auto& [key, child] : value.items()) {
      flatten(child, path.empty() ? key : path + "." + key, depth + 1, out);
    }
  } else if (value.is_string()) {
    out.emplace_back(path, value.get<std::string>());
  } else if (value.is_number_integer() || value.is_boolean()) {
    out.emplace_back(path, value.dump());
  }
}

class OidcTrustProvider : public TrustProvider {
 public:
  explicit OidcTrustProvider(std::string name) : TrustProvider(std::move(name), "oidc") {}

 protected:
  Result<std::vector<std::pair<std::string, std::string>>> attributesOf(
      const nlohmann::json& claims) const override {
    std::vector<std::pair<std::string, std::string>> out;
    flatten(claims, "", 0, out);
    return out;
  }
  std::string_view attributePrefix() const override { return "oidc"; }
};
}  // namespace

std::unique_ptr<TrustProvider> makeOidcTrustProvider(std::string name) {
  return std::make_unique<OidcTrustProvider>(std::move(name));
}

}  // namespace tessera::trust
