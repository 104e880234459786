// TrustProvider type "gitlab-ci": GitLab CI ID tokens (issuer https://gitlab.com unless the spec
// names a self-managed instance). Attributes (gitlab.*): project, namespace and ref claims.
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {
class GitlabCiTrustProvider : public TrustProvider {
 public:
  explicit GitlabCiTrustProvider(std::string name) : TrustProvider(std::move(name), "gitlab-ci") {}

 protected:
  Result<std::vector<std::pair<std::string, std::string>>> attributesOf(
      const nlohmann::json& claims) const override {
    auto out = scalarClaims(
        claims, {"sub", "namespace_id", "namespace_path", "project_id", "project_path",
                 "user_login", "pipeline_id", "pipeline_source", "job_id", "ref", "ref_type",
                 "ref_path", "ref_protected", "environment", "environment_protected"});
    if (!claims.contains("project_path")) {
      return fail(ErrorCode::kTokenClaimMissing, "not a GitLab CI token: no project_path");
    }
    return out;
  }
  std::string_view attributePrefix() const override { return "gitlab"; }
};
}  // namespace

std::unique_ptr<TrustProvider> makeGitlabCiTrustProvider(std::string name) {
  return std::make_unique<GitlabCiTrustProvider>(std::move(name));
}

}  // namespace tessera::trust
