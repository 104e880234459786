// TrustProvider type "gcp-identity": Google-signed identity tokens of GCE VMs and Google service
// accounts.
#include "model/types/builtin_types.hpp"
#include "model/types/token_trust_provider.hpp"

namespace tessera::model {

Schema gcpIdentityTrustProviderSchema() {
  return tokenTrustProviderSchema(
      false,
      "Google identity tokens (issuer https://accounts.google.com), such as a GCE VM's metadata "
      "server identity token (format=full for the instance claims).",
      "Rules on email, emailVerified, sub, projectId, projectNumber, zone, instanceId, "
      "instanceName.");
}

}  // namespace tessera::model
