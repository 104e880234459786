#include "model/types/token_trust_provider.hpp"

#include "model/types/spec_checks.hpp"

namespace tessera::model {

Schema tokenTrustProviderSchema(bool issuerRequired, std::string description,
                                std::string rulesDescription) {
  auto issuer = fetchUrlSchema("Expected iss claim; also where discovery is fetched.");
  return Schema::object(
             {
                 issuerRequired ? requiredField("issuer", issuer) : optionalField("issuer", issuer),
                 requiredField("audiences",
                               Schema::array(Schema::string().length(1, 512),
                                             "Accepted aud values; the token must name one.")
                                   .items(1, 16)),
                 optionalField("jwksUri",
                               fetchUrlSchema("Where the keys are, instead of discovery.")),
                 optionalField("jwks", Schema::string("Inline keys, for issuers that cannot be "
                                                      "reached, such as private clusters: a JWKS "
                                                      "(JSON text), or PEM public keys (trusted "
                                                      "whatever kid a token names).")
                                           .length(1, 65536)),
                 optionalField("rules", attributeRulesSchema(std::move(rulesDescription))),
             },
             std::move(description))
      .objectCheck([](const nlohmann::json& v, const std::string& pointer, FieldErrors& errors) {
        if (v.contains("jwksUri") && v.contains("jwks")) {
          errors.add(pointer + "/jwks", "give either jwksUri or jwks, not both");
        }
      });
}

}  // namespace tessera::model
