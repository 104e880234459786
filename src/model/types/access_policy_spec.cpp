// AccessPolicy spec: which client workloads, proven by which trust providers (any or all), under
// which access conditions (all must pass), get which credential for which server workload.
#include <set>

#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

namespace {
Schema uniqueNames(std::string description, std::size_t min) {
  return Schema::array(objectNameSchema("Object name."), std::move(description))
      .items(min, 64)
      .check([](const nlohmann::json& v) -> std::optional<std::string> {
        std::set<std::string> seen;
        for (const auto& name : v) {
          if (!seen.insert(name.get<std::string>()).second) {
            return "names '" + name.get<std::string>() + "' twice";
          }
        }
        return std::nullopt;
      });
}
}  // namespace

Schema accessPolicySpecSchema() {
  return Schema::object(
      {
          requiredField("clientWorkloads", uniqueNames("ClientWorkload names; any may match.", 1)),
          requiredField(
              "trustProviders",
              Schema::object(
                  {
                      requiredField("match", Schema::string("Whether any or all providers must "
                                                            "verify the workload.")
                                                 .oneOf({"any", "all"})),
                      requiredField("names", uniqueNames("TrustProvider names.", 1)),
                  },
                  "Trust providers that verify the client workload's identity.")),
          optionalField("accessConditions",
                        uniqueNames("AccessCondition names; all must pass.", 0)),
          requiredField("credentialProvider", objectNameSchema("CredentialProvider name.")),
          requiredField("serverWorkload", objectNameSchema("ServerWorkload name.")),
          optionalField("enabled", Schema::boolean("A disabled policy never matches (default "
                                                   "true).")),
      },
      "Binds client workloads, trust providers and access conditions to a credential provider "
      "and a server workload.");
}

}  // namespace tessera::model
