// TrustProvider type "github-actions": GitHub Actions OIDC tokens.
#include "model/types/builtin_types.hpp"
#include "model/types/token_trust_provider.hpp"

namespace tessera::model {

Schema githubActionsTrustProviderSchema() {
  return tokenTrustProviderSchema(
      false, "GitHub Actions OIDC tokens (issuer https://token.actions.githubusercontent.com).",
      "Rules on repository, repository_owner, ref, workflow, job_workflow_ref, environment, "
      "actor, sub.");
}

}  // namespace tessera::model
