// The built-in spec schemas: one function per kind spec or provider/condition type, each in its
// own file here, all registered by registerBuiltinSpecs (SpecRegistry::builtin calls it).
#pragma once

#include "model/spec_registry.hpp"

namespace tessera::model {

void registerBuiltinSpecs(SpecRegistry& registry);

// Kind specs.
Schema clientWorkloadSpecSchema();
Schema serverWorkloadSpecSchema();
Schema accessPolicySpecSchema();

// TrustProvider types.
Schema oidcTrustProviderSchema();
Schema kubernetesTrustProviderSchema();
Schema githubActionsTrustProviderSchema();
Schema gitlabCiTrustProviderSchema();
Schema awsInstanceIdentityTrustProviderSchema();
Schema azureAttestedTrustProviderSchema();
Schema gcpIdentityTrustProviderSchema();
Schema awsRoleTrustProviderSchema();

// AccessCondition types.
Schema timeConditionSchema();
Schema geoipConditionSchema();
Schema networkConditionSchema();

// CredentialProvider types.
Schema staticSecretCredentialSchema();
Schema oidcIdTokenCredentialSchema();
Schema awsStsCredentialSchema();
Schema gcpWorkloadIdentityCredentialSchema();
Schema azureEntraFederationCredentialSchema();
Schema oauthClientCredentialsCredentialSchema();

}  // namespace tessera::model
