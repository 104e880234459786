// The credential provider types (one file each: oidc-id-token, static-secret, aws-sts,
// gcp-workload-identity, azure-entra-federation) and the one switch that makes them. Internal to
// src/credentials.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "credentials/credential_provider.hpp"
#include "credentials/oauth_wire.hpp"

namespace tessera::credentials {

// Every credential provider type this hub issues; null for one it cannot (yet).
std::unique_ptr<CredentialProvider> makeCredentialProvider(std::string name, std::string_view type);

std::unique_ptr<CredentialProvider> makeOidcIdTokenProvider(std::string name);
std::unique_ptr<CredentialProvider> makeStaticSecretProvider(std::string name);
std::unique_ptr<CredentialProvider> makeAwsStsProvider(std::string name);
std::unique_ptr<CredentialProvider> makeGcpWorkloadIdentityProvider(std::string name);
std::unique_ptr<CredentialProvider> makeAzureEntraFederationProvider(std::string name);

// When a token endpoint leaves expires_in out, the grant is kept no longer than this.
inline constexpr Seconds kAssumedAccessTokenLifetime{300};

// A token endpoint's access token as the grant's credential `type`: {accessToken, tokenType
// (Bearer unless the answer says otherwise), expiresAt}.
Credential accessTokenCredential(std::string type, const OAuthToken& token, SystemTime now);
std::unique_ptr<CredentialProvider> makeOAuthClientCredentialsProvider(std::string name);

}  // namespace tessera::credentials
