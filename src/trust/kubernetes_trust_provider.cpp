// TrustProvider type "kubernetes": projected service account tokens. Attributes (k8s.*):
// namespace, serviceAccountName, serviceAccountUid, podName, podUid, nodeName, sub. The token
// must name a namespace and a service account, and its sub must agree with them.
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {
std::string stringAt(const nlohmann::json& claims, std::initializer_list<const char*> path) {
  const nlohmann::json* node = &claims;
  for (const char* key : path) {
    if (!node->is_object()) {
      return "";
    }
    const auto it = node->find(key);
    if (it == node->end()) {
      return "";
    }
    node = &*it;
  }
  return node->is_string() ? node->get<std::string>() : "";
}

class KubernetesTrustProvider : public TrustProvider {
 public:
  explicit KubernetesTrustProvider(std::string name)
      : TrustProvider(std::move(name), "kubernetes") {}

 protected:
  Result<std::vector<std::pair<std::string, std::string>>> attributesOf(
      const nlohmann::json& claims) const override {
    const std::string ns = stringAt(claims, {"kubernetes.io", "namespace"});
    const std::string sa = stringAt(claims, {"kubernetes.io", "serviceaccount", "name"});
    if (ns.empty() || sa.empty()) {
      return fail(ErrorCode::kTokenClaimMissing,
                  "not a service account token: kubernetes.io.namespace and "
                  "kubernetes.io.serviceaccount.name are required");
    }
    const std::string sub = stringAt(claims, {"sub"});
    if (sub != "system:serviceaccount:" + ns + ":" + sa) {
      return fail(ErrorCode::kTokenClaimInvalid,
                  "sub '" + sub + "' does not match the service account " + ns + "/" + sa);
    }
    std::vector<std::pair<std::string, std::string>> out = {
        {"namespace", ns}, {"serviceAccountName", sa}, {"sub", sub}};
    // Each path is read where it is written: an initializer_list held in a pair would outlive
    // its array (a crash at -O2).
    std::pair<const char*, std::string> optional[] = {
        {"serviceAccountUid", stringAt(claims, {"kubernetes.io", "serviceaccount", "uid"})},
        {"podName", stringAt(claims, {"kubernetes.io", "pod", "name"})},
        {"podUid", stringAt(claims, {"kubernetes.io", "pod", "uid"})},
        {"nodeName", stringAt(claims, {"kubernetes.io", "node", "name"})}};
    for (auto& [attribute, value] : optional) {
      if (!value.empty()) {
        out.emplace_back(attribute, std::move(value));
      }
    }
    return out;
  }
  std::string_view attributePrefix() const override { return "k8s"; }
};
}  // namespace

std::unique_ptr<TrustProvider> makeKubernetesTrustProvider(std::string name) {
  return std::make_unique<KubernetesTrustProvider>(std::move(name));
}

}  // namespace tessera::trust
