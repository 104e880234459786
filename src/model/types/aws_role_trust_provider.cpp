// TrustProvider type "aws-role": a presigned sts:GetCallerIdentity request that the hub replays.
#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"
#include "net/url.hpp"

namespace tessera::model {

Schema awsRoleTrustProviderSchema() {
  auto endpoint = fetchUrlSchema("An STS endpoint URL (scheme, host, port and path; no query).")
                      .check([](const nlohmann::json& v) -> std::optional<std::string> {
                        // The hub compares the signed request's URL with this one exactly, and a
                        // query would add parameters to the action.
                        auto url = net::parseUrl(v.get_ref<const std::string&>());
                        if (url && url->target.find('?') != std::string::npos) {
                          return "must not have a query";
                        }
                        return std::nullopt;
                      });
  return Schema::object(
      {
          optionalField("stsEndpoints",
                        Schema::array(endpoint,
                                      "The only STS endpoints the hub sends a workload's signed "
                                      "request to. Default: https://sts.amazonaws.com/ and "
                                      "https://sts.{region}.amazonaws.com/ for every commercial "
                                      "region; name others (China, GovCloud, a VPC endpoint) "
                                      "here, which replaces the default list.")
                            .items(1, 64)),
          optionalField("maxRequestAge",
                        Schema::integer("Seconds a signed request stays acceptable after (or "
                                        "before) its X-Amz-Date. Default 300.")
                            .range(30, 900)),
          optionalField("rules",
                        attributeRulesSchema("Rules on accountId, roleName, roleArn, sessionName, "
                                             "userName, arn, userId.")),
      },
      "AWS IAM roles and users: the workload signs an sts:GetCallerIdentity request naming this "
      "hub (X-Tessera-Server-ID); the hub replays it to STS and trusts the identity STS "
      "returns.");
}

}  // namespace tessera::model
