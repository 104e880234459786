// TrustProvider type "github-actions": GitHub Actions OIDC tokens (issuer
// https://token.actions.githubusercontent.com unless the spec names a GHES issuer). Attributes
// (github.*): the job's claims that identify what runs, and where.
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {
class GithubActionsTrustProvider : public TrustProvider {
 public:
  explicit GithubActionsTrustProvider(std::string name)
      : TrustProvider(std::move(name), "github-actions") {}

 protected:
  Result<std::vector<std::pair<std::string, std::string>>> attributesOf(
      const nlohmann::json& claims) const override {
    auto out = scalarClaims(
        claims, {"sub", "repository", "repository_id", "repository_owner", "repository_owner_id",
                 "repository_visibility", "ref", "ref_type", "sha", "workflow", "workflow_ref",
                 "job_workflow_ref", "environment", "actor", "actor_id", "event_name", "run_id",
                 "run_attempt", "runner_environment"});
    if (!claims.contains("repository")) {
      return fail(ErrorCode::kTokenClaimMissing, "not a GitHub Actions token: no repository");
    }
    return out;
  }
  std::string_view attributePrefix() const override { return "github"; }
};
}  // namespace

std::unique_ptr<TrustProvider> makeGithubActionsTrustProvider(std::string name) {
  return std::make_unique<GithubActionsTrustProvider>(std::move(name));
}

}  // namespace tessera::trust
