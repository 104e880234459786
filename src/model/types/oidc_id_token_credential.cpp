// CredentialProvider type "oidc-id-token": a JWT the hub signs as its issuer.
#include "model/types/builtin_types.hpp"

namespace tessera::model {

Schema oidcIdTokenCredentialSchema() {
  return Schema::object(
      {
          requiredField("audience", Schema::string("aud of the token.").length(1, 512)),
          optionalField("subject", Schema::string("sub template, e.g. ${k8s.namespace}/"
                                                  "${k8s.serviceAccountName}.")
                                       .length(1, 512)),
          optionalField("lifetimeSeconds", Schema::integer().range(60, 86400)),
          optionalField("algorithm", Schema::string().oneOf({"RS256", "ES256"})),
          optionalField("claims", Schema::stringMap("Extra claims; values are templates.")),
      },
      "A JWT the hub signs as its issuer.");
}

}  // namespace tessera::model
