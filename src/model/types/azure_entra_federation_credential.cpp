// CredentialProvider type "azure-entra-federation": the Entra client credentials grant with a
// hub-signed federated client assertion.
#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

Schema azureEntraFederationCredentialSchema() {
  return Schema::object(
      {
          requiredField("tenantId",
                        Schema::string("Directory (tenant) id or domain.").length(1, 256)),
          requiredField("clientId", Schema::string("Application (client) id of the Entra app "
                                                   "with the federated identity credential.")
                                        .length(1, 128)),
          requiredField("scope",
                        Schema::string("One <resource>/.default scope, e.g. "
                                       "https://management.azure.com/.default.")
                            .length(10, 512)
                            .check([](const nlohmann::json& v) -> std::optional<std::string> {
                              const auto& s = v.get_ref<const std::string&>();
                              if (!s.ends_with("/.default") || s.find(' ') != std::string::npos) {
                                return "must be one scope ending in /.default (the client "
                                       "credentials grant takes no other)";
                              }
                              return std::nullopt;
                            })),
          optionalField("audience", Schema::string("aud of the client assertion (default "
                                                   "api://AzureADTokenExchange).")
                                        .length(1, 600)),
          optionalField("authorityHost", fetchUrlSchema("Entra authority (default "
                                                        "https://login.microsoftonline.com).")),
      },
      "A Microsoft Entra ID access token through the client credentials grant with a hub-signed "
      "federated client assertion.");
}

}  // namespace tessera::model
