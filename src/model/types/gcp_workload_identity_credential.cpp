// CredentialProvider type "gcp-workload-identity": Google STS token exchange with a hub-signed
// subject token, then optional service account impersonation.
#include <regex>

#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

namespace {
// A string matching `pattern` entirely, else `problem`.
Schema patternString(std::string description, std::size_t maxLength, const char* pattern,
                     std::string problem) {
  return Schema::string(std::move(description))
      .length(1, maxLength)
      .check([re = std::regex(pattern),
              problem = std::move(problem)](const nlohmann::json& v) -> std::optional<std::string> {
        if (!std::regex_match(v.get<std::string>(), re)) {
          return problem;
        }
        return std::nullopt;
      });
}
}  // namespace

Schema gcpWorkloadIdentityCredentialSchema() {
  const char* kGoogleId = "[a-z0-9-]{4,32}";
  const std::string kIdProblem = "must be 4-32 characters of a-z, 0-9 and '-'";
  return Schema::object(
      {
          requiredField("projectNumber",
                        patternString("Number of the project that holds the pool.", 20, "[0-9]+",
                                      "must be the project NUMBER (digits), not its id")),
          requiredField("poolId",
                        patternString("Workload identity pool id.", 32, kGoogleId, kIdProblem)),
          requiredField("providerId", patternString("Workload identity pool provider id.", 32,
                                                    kGoogleId, kIdProblem)),
          optionalField("audience",
                        Schema::string("aud of the subject token (default: the provider's "
                                       "resource name //iam.googleapis.com/projects/...).")
                            .length(1, 512)),
          optionalField("serviceAccount", patternString("Service account to impersonate (email).",
                                                        254, R"([A-Za-z0-9._-]+@[A-Za-z0-9.-]+)",
                                                        "must be a service account email like "
                                                        "name@project.iam.gserviceaccount.com")),
          optionalField("scopes", Schema::array(Schema::string().length(1, 512),
                                                "OAuth scopes (default cloud-platform).")
                                      .items(1, 32)),
          optionalField("lifetimeSeconds",
                        Schema::integer("Lifetime of the service account token (needs "
                                        "serviceAccount; default 3600).")
                            .range(1, 3600)),
          optionalField("endpoint", fetchUrlSchema("Google STS token endpoint (default "
                                                   "https://sts.googleapis.com/v1/token).")),
          optionalField("iamCredentialsEndpoint",
                        fetchUrlSchema("IAM Credentials API base (default "
                                       "https://iamcredentials.googleapis.com).")),
      },
      "A Google Cloud access token through workload identity federation with a hub-signed "
      "subject token, optionally impersonating a service account.");
}

}  // namespace tessera::model
