// TrustProvider type "oidc": ID tokens of any OIDC issuer.
#include "model/types/builtin_types.hpp"
#include "model/types/token_trust_provider.hpp"

namespace tessera::model {

Schema oidcTrustProviderSchema() {
  return tokenTrustProviderSchema(true, "Any OIDC issuer's ID tokens.",
                                  "Rules on claims (nested claims by dotted path).");
}

}  // namespace tessera::model
