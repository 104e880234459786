// TrustProvider type "aws-instance-identity": EC2 instance identity documents signed (PKCS#7,
// RSA-2048) by AWS certificates that the spec pins.
#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

Schema awsInstanceIdentityTrustProviderSchema() {
  return Schema::object(
      {
          requiredField("certificates",
                        pemCertificatesSchema(
                            "AWS's RSA-2048 instance identity certificates (PEM) of the regions "
                            "to accept; the document's signer must be one of them.")),
          optionalField("maxInstanceAgeSeconds",
                        Schema::integer("Refuse instances launched (pendingTime) longer ago "
                                        "than this; the document itself has no expiry.")
                            .range(60, 10LL * 365 * 86400)),
          optionalField("rules", attributeRulesSchema("Rules on accountId, instanceId, region, "
                                                      "availabilityZone, imageId, instanceType, "
                                                      "architecture, privateIp.")),
      },
      "EC2 instance identity documents (the rsa2048 PKCS#7 signature), verified against pinned "
      "AWS certificates. The document is not fresh: combine with another provider.");
}

}  // namespace tessera::model
