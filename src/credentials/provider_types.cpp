#include "credentials/provider_types.hpp"

namespace tessera::credentials {

std::unique_ptr<CredentialProvider> makeCredentialProvider(std::string name,
                                                           std::string_view type) {
  if (type == "oidc-id-token") {
    return makeOidcIdTokenProvider(std::move(name));
  }
  if (type == "static-secret") {
    return makeStaticSecretProvider(std::move(name));
  }
  if (type == "aws-sts") {
    return makeAwsStsProvider(std::move(name));
  }
  if (type == "oauth-client-credentials") {
    return makeOAuthClientCredentialsProvider(std::move(name));
  }
  return nullptr;
}

}  // namespace tessera::credentials
