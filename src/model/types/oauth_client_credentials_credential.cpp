// CredentialProvider type "oauth-client-credentials": an access token from an OAuth 2.0
// authorization server by the client credentials grant, the client authenticated by a sealed
// secret or by an assertion the hub signs (private_key_jwt).
#include <algorithm>
#include <array>

#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

namespace {
// Form parameters the grant sets itself or that have a member of their own.
constexpr std::array kReservedParameters = {"grant_type",       "scope",
                                            "client_id",        "client_secret",
                                            "client_assertion", "client_assertion_type",
                                            "audience",         "resource"};

bool secretAuth(const std::string& method) {
  return method != "private_key_jwt";
}
}  // namespace

Schema oauthClientCredentialsCredentialSchema() {
  return Schema::object(
             {
                 optionalField("tokenEndpoint",
                               fetchUrlSchema("The token endpoint (or give issuer).")),
                 optionalField("issuer", fetchUrlSchema("The authorization server's issuer: the "
                                                        "token endpoint is discovered from "
                                                        "<issuer>/.well-known/"
                                                        "openid-configuration.")),
                 requiredField("clientId",
                               Schema::string("client_id at the server.").length(1, 256)),
                 optionalField(
                     "clientAuth",
                     Schema::string("Client authentication (default "
                                    "client_secret_basic); private_key_jwt: an "
                                    "assertion signed by the hub, checked against its "
                                    "JWKS.")
                         .oneOf({"client_secret_basic", "client_secret_post", "private_key_jwt"})),
                 optionalField(
                     "clientSecret",
                     Schema::string("The client secret (write-only).").length(1, 4096).secret()),
                 optionalField("assertionAlgorithm",
                               Schema::string("private_key_jwt signing algorithm (default RS256).")
                                   .oneOf({"RS256", "ES256"})),
                 optionalField(
                     "scopes",
                     Schema::array(Schema::string().length(1, 256).check(
                                       [](const nlohmann::json& v) -> std::optional<std::string> {
                                         const auto& s = v.get_ref<const std::string&>();
                                         if (s.find_first_of(" \"\\") != std::string::npos) {
                                           return "must not contain a space, '\"' or '\\'";
                                         }
                                         return std::nullopt;
                                       }),
                                   "scope values, sent space-separated.")
                         .items(1, 32)),
                 optionalField(
                     "audience",
                     Schema::string("audience parameter (RFC 8693 / vendors).").length(1, 1024)),
                 optionalField("resource",
                               Schema::string("resource parameter (RFC 8707).").length(1, 2048)),
                 optionalField(
                     "extraParameters",
                     Schema::stringMap("Further form parameters of the token request (at most 16; "
                                       "not the grant's own, audience or resource).")
                         .items(0, 16)),
             },
             "An OAuth 2.0 access token by the client credentials grant.")
      .objectCheck([](const nlohmann::json& v, const std::string& pointer, FieldErrors& e) {
        if (v.contains("tokenEndpoint") == v.contains("issuer")) {
          e.add(pointer + "/tokenEndpoint", "give exactly one of tokenEndpoint and issuer");
        }
        const std::string method = v.value("clientAuth", std::string("client_secret_basic"));
        if (secretAuth(method) && !v.contains("clientSecret")) {
          e.add(pointer + "/clientSecret", "is required for clientAuth " + method);
        }
        if (!secretAuth(method) && v.contains("clientSecret")) {
          e.add(pointer + "/clientSecret",
                "does not apply to clientAuth private_key_jwt (the hub signs an assertion)");
        }
        if (secretAuth(method) && v.contains("assertionAlgorithm")) {
          e.add(pointer + "/assertionAlgorithm", "applies only to clientAuth private_key_jwt");
        }
        if (const auto extra = v.find("extraParameters"); extra != v.end()) {
          for (const auto& [name, value] : extra->items()) {
            if (name.empty() || std::find(kReservedParameters.begin(), kReservedParameters.end(),
                                          name) != kReservedParameters.end()) {
              e.add(pointerAppend(pointer + "/extraParameters", name),
                    "is reserved: the grant sets it, or it has a member of its own");
            }
          }
        }
      });
}

}  // namespace tessera::model
