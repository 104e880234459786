// TrustProvider type "kubernetes": projected service account tokens.
#include "model/types/builtin_types.hpp"
#include "model/types/token_trust_provider.hpp"

namespace tessera::model {

Schema kubernetesTrustProviderSchema() {
  return tokenTrustProviderSchema(
      true, "Kubernetes service account tokens (projected).",
      "Rules on namespace, serviceAccountName, serviceAccountUid, podName, sub.");
}

}  // namespace tessera::model
