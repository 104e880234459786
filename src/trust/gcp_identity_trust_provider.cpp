// TrustProvider type "gcp-identity": Google-signed ID tokens (issuer https://accounts.google.com),
// such as the identity token a GCE VM's metadata server mints (format=full adds the instance
// claims under google.compute_engine). Attributes (gcp.*): email, emailVerified, sub, projectId,
// projectNumber, zone, instanceId, instanceName. An email counts only when Google verified it.
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {
class GcpIdentityTrustProvider : public TrustProvider {
 public:
  explicit GcpIdentityTrustProvider(std::string name)
      : TrustProvider(std::move(name), "gcp-identity") {}

 protected:
  Result<std::vector<std::pair<std::string, std::string>>> attributesOf(
      const nlohmann::json& claims) const override {
    const auto sub = claims.find("sub");
    if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
      return fail(ErrorCode::kTokenClaimMissing, "not a Google identity token: no sub");
    }
    std::vector<std::pair<std::string, std::string>> out = {{"sub", sub->get<std::string>()}};
    if (const auto email = claims.find("email"); email != claims.end()) {
      const auto verified = claims.find("email_verified");
      // A rule on the email would otherwise trust an address nobody proved.
      if (!email->is_string() || verified == claims.end() || *verified != true) {
        return fail(ErrorCode::kTokenClaimInvalid,
                    "the token names an email but email_verified is not true");
      }
      out.emplace_back("email", email->get<std::string>());
      out.emplace_back("emailVerified", "true");
    }
    const auto google = claims.find("google");
    if (google != claims.end() && google->is_object()) {
      const auto gce = google->find("compute_engine");
      if (gce != google->end() && gce->is_object()) {
        for (const auto& [attribute, claim] : {std::pair{"projectId", "project_id"},
                                               {"projectNumber", "project_number"},
                                               {"zone", "zone"},
                                               {"instanceId", "instance_id"},
                                               {"instanceName", "instance_name"}}) {
          const auto it = gce->find(claim);
          if (it == gce->end()) {
            continue;
          }
          if (it->is_string()) {
            out.emplace_back(attribute, it->get<std::string>());
          } else if (it->is_number_integer() || it->is_number_unsigned()) {
            out.emplace_back(attribute, it->dump());
          }
        }
      }
    }
    return out;
  }
  std::string_view attributePrefix() const override { return "gcp"; }
};
}  // namespace

std::unique_ptr<TrustProvider> makeGcpIdentityTrustProvider(std::string name) {
  return std::make_unique<GcpIdentityTrustProvider>(std::move(name));
}

}  // namespace tessera::trust
