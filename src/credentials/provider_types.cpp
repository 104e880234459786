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
  if (type == "gcp-workload-identity") {
    return makeGcpWorkloadIdentityProvider(std::move(name));
  }
  if (type == "azure-entra-federation") {
    return makeAzureEntraFederationProvider(std::move(name));
  }
  if (type == "oauth-client-credentials") {
    return makeOAuthClientCredentialsProvider(std::move(name));
  }
  return nullptr;
}

Credential accessTokenCredential(std::string type, const OAuthToken& token, SystemTime now) {
  Credential credential;
  credential.type = std::move(type);
  credential.fields.emplace("accessToken", token.accessToken);
  credential.fields.emplace("tokenType", token.tokenType.empty() ? "Bearer" : token.tokenType);
  credential.issuedAt = now;
  credential.expiresAt = token.expiresAt(now).value_or(now + kAssumedAccessTokenLifetime);
  return credential;
}

}  // namespace tessera::credentials
