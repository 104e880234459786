// The trust provider types (one file each: oidc, kubernetes, github-actions, gitlab-ci,
// gcp-identity, aws-instance-identity, azure-attested, aws-role) and the one switch that makes
// them. Internal to src/trust.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "trust/trust_provider.hpp"

namespace tessera::trust {

// Every trust provider type; null for an unknown type.
std::unique_ptr<TrustProvider> makeTrustProvider(std::string name, std::string_view type);
// The issuer a type uses when the spec names none ("" when the spec must name one).
std::string_view defaultIssuer(std::string_view type);

std::unique_ptr<TrustProvider> makeOidcTrustProvider(std::string name);
std::unique_ptr<TrustProvider> makeKubernetesTrustProvider(std::string name);
std::unique_ptr<TrustProvider> makeGithubActionsTrustProvider(std::string name);
std::unique_ptr<TrustProvider> makeGitlabCiTrustProvider(std::string name);
std::unique_ptr<TrustProvider> makeAwsRoleTrustProvider(std::string name);
std::unique_ptr<TrustProvider> makeGcpIdentityTrustProvider(std::string name);
std::unique_ptr<TrustProvider> makeAwsInstanceIdentityTrustProvider(std::string name);
std::unique_ptr<TrustProvider> makeAzureAttestedTrustProvider(std::string name);

// The attested data's timeStamp format, "11/30/26 06:00:00 -0000" (kEvidenceInvalid otherwise).
Result<SystemTime> parseAzureAttestedTime(std::string_view text);

// The claims `names` that are present as strings (numbers and booleans as text).
std::vector<std::pair<std::string, std::string>> scalarClaims(
    const nlohmann::json& claims, std::initializer_list<std::string_view> names);

}  // namespace tessera::trust
