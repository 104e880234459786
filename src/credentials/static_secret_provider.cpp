// CredentialProvider type "static-secret": an API key, bearer token or username and password the
// operator stored. Sealed at rest by the config service; here the snapshot's unsealed value is
// handed out inside a grant, and nowhere else.
#include "credentials/provider_types.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // see oidc_id_token_provider.cpp
#endif

namespace tessera::credentials {

namespace {
// A static secret does not expire, but its grant does: edges ask again this often, so that a
// rotated secret, a changed policy or a revoked client reaches them within this bound.
constexpr std::chrono::seconds kGrantLifetime{300};

class StaticSecretProvider final : public CredentialProvider {
 public:
  explicit StaticSecretProvider(std::string name)
      : CredentialProvider(std::move(name), "static-secret") {}

  boost::asio::awaitable<Result<Credential>> issue(GrantRequest request) const override {
    Credential credential = credential_;
    credential.issuedAt = request.now;
    credential.expiresAt = request.now + kGrantLifetime;
    co_return credential;
  }

 private:
  Result<void> configure(const nlohmann::json& spec) override {
    const std::string type = spec.at("secretType").get<std::string>();
    credential_.type = type;
    // A secret field may be missing only when it could not be unsealed (see
    // model/secret_sealing.hpp): refuse to compile, so grants fail closed with this reason.
    const auto require = [&](const char* member) -> Result<std::string> {
      const auto it = spec.find(member);
      if (it == spec.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        return fail(ErrorCode::kInvalidArgument,
                    std::string("/spec/") + member +
                        " is not available (it could not be unsealed; apply it again)");
      }
      return it->get<std::string>();
    };
    if (type == "username-password") {
      TESSERA_DECLARE_OR_RETURN(auto username, require("username"));
      TESSERA_DECLARE_OR_RETURN(auto password, require("password"));
      credential_.fields.emplace("username", std::move(username));
      credential_.fields.emplace("password", std::move(password));
    } else {
      TESSERA_DECLARE_OR_RETURN(auto value, require("value"));
      credential_.fields.emplace(type == "api-key" ? "apiKey" : "token", std::move(value));
    }
    return {};
  }

  Credential credential_;
};
}  // namespace

std::unique_ptr<CredentialProvider> makeStaticSecretProvider(std::string name) {
  return std::make_unique<StaticSecretProvider>(std::move(name));
}

}  // namespace tessera::credentials
