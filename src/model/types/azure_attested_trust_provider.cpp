// TrustProvider type "azure-attested": Azure IMDS attested data (PKCS#7 signed by an Azure
// certificate that chains to the spec's CAs), fresh through the nonce the edge chose.
#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

namespace {
// "metadata.azure.com" or "*.metadata.azure.com" (the star stands for exactly one label).
std::optional<std::string> signerNameProblem(const std::string& name) {
  std::string_view rest = name;
  if (rest.starts_with("*.")) {
    rest.remove_prefix(2);
  }
  if (rest.empty() || rest.front() == '.' || rest.back() == '.' ||
      rest.find("..") != std::string_view::npos) {
    return "must be a DNS name, optionally starting with '*.'";
  }
  for (char c : rest) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return "must be a lower-case DNS name, optionally starting with '*.'";
    }
  }
  return std::nullopt;
}
}  // namespace

Schema azureAttestedTrustProviderSchema() {
  return Schema::object(
      {
          requiredField("caCertificates",
                        pemCertificatesSchema("CA certificates (PEM) the signer must chain to: "
                                              "Azure's roots, or intermediates to pin.")),
          optionalField("intermediateCertificates",
                        pemCertificatesSchema("Intermediate CA certificates (PEM) that link the "
                                              "signer to caCertificates; Azure's attested data "
                                              "carries only the signer.",
                                              0)),
          optionalField(
              "signerNames",
              Schema::array(Schema::string().length(1, 253).check([](const nlohmann::json& v) {
                return signerNameProblem(v.get_ref<const std::string&>());
              }),
                            "Names (subject CN or DNS subjectAltName) the signer certificate may "
                            "have; '*.' matches one label. Default [metadata.azure.com].")
                  .items(1, 16)),
          optionalField("maxNonceAgeSeconds",
                        Schema::integer("How far the nonce (the Unix time the edge asked at) may "
                                        "be from now. Default 300.")
                            .range(10, 3600)),
          optionalField("rules",
                        attributeRulesSchema("Rules on subscriptionId, vmId, sku, licenseType, "
                                             "planName, planProduct, planPublisher.")),
      },
      "Azure IMDS attested data (PKCS#7), verified through a chain to the given CAs, the signer's "
      "name, the document's validity and the nonce's age.");
}

}  // namespace tessera::model
