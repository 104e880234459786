#include "model/types/builtin_types.hpp"

namespace tessera::model {

void registerBuiltinSpecs(SpecRegistry& registry) {
  registry.setKindSchema(Kind::kClientWorkload, clientWorkloadSpecSchema());
  registry.setKindSchema(Kind::kServerWorkload, serverWorkloadSpecSchema());
  registry.setKindSchema(Kind::kAccessPolicy, accessPolicySpecSchema());

  registry.addType(Kind::kTrustProvider, "oidc", oidcTrustProviderSchema());
  registry.addType(Kind::kTrustProvider, "kubernetes", kubernetesTrustProviderSchema());
  registry.addType(Kind::kTrustProvider, "github-actions", githubActionsTrustProviderSchema());
  registry.addType(Kind::kTrustProvider, "gitlab-ci", gitlabCiTrustProviderSchema());
  registry.addType(Kind::kTrustProvider, "aws-instance-identity",
                   awsInstanceIdentityTrustProviderSchema());
  registry.addType(Kind::kTrustProvider, "azure-attested", azureAttestedTrustProviderSchema());
  registry.addType(Kind::kTrustProvider, "gcp-identity", gcpIdentityTrustProviderSchema());
  registry.addType(Kind::kTrustProvider, "aws-role", awsRoleTrustProviderSchema());

  registry.addType(Kind::kAccessCondition, "time", timeConditionSchema());
  registry.addType(Kind::kAccessCondition, "geoip", geoipConditionSchema());
  registry.addType(Kind::kAccessCondition, "network", networkConditionSchema());

  registry.addType(Kind::kCredentialProvider, "static-secret", staticSecretCredentialSchema());
  registry.addType(Kind::kCredentialProvider, "oidc-id-token", oidcIdTokenCredentialSchema());
  registry.addType(Kind::kCredentialProvider, "aws-sts", awsStsCredentialSchema());
  registry.addType(Kind::kCredentialProvider, "gcp-workload-identity",
                   gcpWorkloadIdentityCredentialSchema());
  registry.addType(Kind::kCredentialProvider, "azure-entra-federation",
                   azureEntraFederationCredentialSchema());
  registry.addType(Kind::kCredentialProvider, "oauth-client-credentials",
                   oauthClientCredentialsCredentialSchema());
}

}  // namespace tessera::model
