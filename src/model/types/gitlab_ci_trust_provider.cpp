// TrustProvider type "gitlab-ci": GitLab CI ID tokens.
#include "model/types/builtin_types.hpp"
#include "model/types/token_trust_provider.hpp"

namespace tessera::model {

Schema gitlabCiTrustProviderSchema() {
  return tokenTrustProviderSchema(false,
                                  "GitLab CI ID tokens (issuer https://gitlab.com unless set).",
                                  "Rules on namespace_path, project_path, ref_path, ref, sub.");
}

}  // namespace tessera::model
