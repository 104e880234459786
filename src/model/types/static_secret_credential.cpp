// CredentialProvider type "static-secret": an API key, bearer token or username and password,
// write-only.
#include "model/types/builtin_types.hpp"

namespace tessera::model {

Schema staticSecretCredentialSchema() {
  return Schema::object(
             {
                 requiredField("secretType", Schema::string().oneOf(
                                                 {"api-key", "bearer-token", "username-password"})),
                 optionalField("value", Schema::string("The API key or token (write-only).")
                                            .length(1, 16384)
                                            .secret()),
                 optionalField("username", Schema::string().length(1, 256)),
                 optionalField("password", Schema::string("Write-only.").length(1, 1024).secret()),
             },
             "A secret stored sealed in the hub.")
      .objectCheck([](const nlohmann::json& v, const std::string& pointer, FieldErrors& e) {
        const auto& type = v.at("secretType").get_ref<const std::string&>();
        const bool userPass = type == "username-password";
        if (userPass) {
          for (const char* f : {"username", "password"}) {
            if (!v.contains(f)) {
              e.add(pointer + "/" + f, "is required for secretType username-password");
            }
          }
          if (v.contains("value")) {
            e.add(pointer + "/value", "does not apply to secretType username-password");
          }
        } else {
          if (!v.contains("value")) {
            e.add(pointer + "/value", "is required for secretType " + type);
          }
          for (const char* f : {"username", "password"}) {
            if (v.contains(f)) {
              e.add(pointer + "/" + f, "applies only to secretType username-password");
            }
          }
        }
      });
}

}  // namespace tessera::model
