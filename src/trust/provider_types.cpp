#include "trust/provider_types.hpp"

namespace tessera::trust {

std::unique_ptr<TrustProvider> makeTrustProvider(std::string name, std::string_view type) {
  if (type == "oidc") {
    return makeOidcTrustProvider(std::move(name));
  }
  if (type == "kubernetes") {
    return makeKubernetesTrustProvider(std::move(name));
  }
  if (type == "github-actions") {
    return makeGithubActionsTrustProvider(std::move(name));
  }
  if (type == "gitlab-ci") {
    return makeGitlabCiTrustProvider(std::move(name));
  }
  if (type == "gcp-identity") {
    return makeGcpIdentityTrustProvider(std::move(name));
  }
  if (type == "aws-instance-identity") {
    return makeAwsInstanceIdentityTrustProvider(std::move(name));
  }
  if (type == "azure-attested") {
    return makeAzureAttestedTrustProvider(std::move(name));
  }
  if (type == "aws-role") {
    return makeAwsRoleTrustProvider(std::move(name));
  }
  return nullptr;
}

std::string_view defaultIssuer(std::string_view type) {
  if (type == "github-actions") {
    return "https://token.actions.githubusercontent.com";
  }
  if (type == "gitlab-ci") {
    return "https://gitlab.com";
  }
  if (type == "gcp-identity") {
    return "https://accounts.google.com";
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> scalarClaims(
    const nlohmann::json& claims, std::initializer_list<std::string_view> names) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto name : names) {
    const auto it = claims.find(name);
    if (it == claims.end()) {
      continue;
    }
    if (it->is_string()) {
      out.emplace_back(std::string(name), it->get<std::string>());
    } else if (it->is_number_integer() || it->is_boolean()) {
      out.emplace_back(std::string(name), it->dump());
    }
  }
  return out;
}

}  // namespace tessera::trust
