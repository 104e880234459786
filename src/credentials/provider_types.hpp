// The credential provider types (one file each: oidc-id-token, static-secret, aws-sts) and the one
// switch that makes them. Internal to src/credentials.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "credentials/credential_provider.hpp"

namespace tessera::credentials {

// Every credential provider type this hub issues; null for one it cannot (yet).
std::unique_ptr<CredentialProvider> makeCredentialProvider(std::string name, std::string_view type);

std::unique_ptr<CredentialProvider> makeOidcIdTokenProvider(std::string name);
std::unique_ptr<CredentialProvider> makeStaticSecretProvider(std::string name);
std::unique_ptr<CredentialProvider> makeAwsStsProvider(std::string name);
std::unique_ptr<CredentialProvider> makeOAuthClientCredentialsProvider(std::string name);

}  // namespace tessera::credentials
