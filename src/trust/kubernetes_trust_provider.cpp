// TrustProvider type "kubernetes": projected service account tokens. Attributes (k8s.*):
// namespace, serviceAccountName, serviceAccountUid, podName, podUid, nodeName, sub. The token
// must name a namespace and a service account, and its sub must agree with them.
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {
class KubernetesTrustProvider : public TrustProvider {
 public:
  explicit KubernetesTrustProvider(std::string name)
      : TrustProvider(std::move(name), "kubernetes") {}

 protected:
  // Read from the claims' text: these few strings are all the type needs, and every fresh
  // service account token comes through here.
  Result<std::vector<std::pair<std::string, std::string>>> attributesOfClaims(
      const jose::LazyJson& claimsText) const override {
    jose::JsonObjectReader claims(claimsText.text());
    const std::string ns = claims.stringAt({"kubernetes.io", "namespace"});
    const std::string sa = claims.stringAt({"kubernetes.io", "serviceaccount", "name"});
    if (ns.empty() || sa.empty()) {
      return fail(ErrorCode::kTokenClaimMissing,
                  "not a service account token: kubernetes.io.namespace and "
                  "kubernetes.io.serviceaccount.name are required");
    }
    const std::string sub = claims.stringAt({"sub"});
    if (sub != "system:serviceaccount:" + ns + ":" + sa) {
      return fail(ErrorCode::kTokenClaimInvalid,
                  "sub '" + sub + "' does not match the service account " + ns + "/" + sa);
    }
    std::vector<std::pair<std::string, std::string>> out = {
        {"namespace", ns}, {"serviceAccountName", sa}, {"sub", sub}};
    // Each path is read where it is written: an initializer_list held in a pair would outlive
    // its array (a crash at -O2).
    std::pair<const char*, std::string> optional[] = {
        {"serviceAccountUid", claims.stringAt({"kubernetes.io", "serviceaccount", "uid"})},
        {"podName", claims.stringAt({"kubernetes.io", "pod", "name"})},
        {"podUid", claims.stringAt({"kubernetes.io", "pod", "uid"})},
        {"nodeName", claims.stringAt({"kubernetes.io", "node", "name"})}};
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
