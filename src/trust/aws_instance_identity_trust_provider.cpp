// TrustProvider type "aws-instance-identity": the EC2 instance identity document with its rsa2048
// signature (PKCS#7 SignedData, SHA-256 + RSA-2048, content attached), verified against the AWS
// certificates the spec pins; the signed content must be the document byte for byte. Attributes
// (aws.*): accountId, instanceId, region, availabilityZone, imageId, instanceType, architecture,
// privateIp. The document carries no freshness (pendingTime is the launch time): replay
// protection is the TLS between edge and hub, optionally bounded by maxInstanceAgeSeconds.
#include "common/time_format.hpp"
#include "crypto/digest.hpp"
#include "crypto/pkcs7.hpp"
#include "jose/json_strict.hpp"
#include "trust/provider_types.hpp"

namespace tessera::trust {

namespace {

constexpr std::string_view kType = "aws-instance-identity";

class AwsInstanceIdentityTrustProvider : public TrustProvider {
 public:
  explicit AwsInstanceIdentityTrustProvider(std::string name)
      : TrustProvider(std::move(name), std::string(kType)) {}

  EvidenceKind evidenceKind() const override { return EvidenceKind::kAwsInstanceIdentity; }

  Result<VerifiedIdentity> verifyDocument(const Evidence& evidence, SystemTime now) const override {
    if (!evidence.awsInstanceIdentity) {
      return fail(ErrorCode::kEvidenceMissing,
                  "trust provider " + name() + ": the evidence has no awsInstanceIdentity");
    }
    const auto& document = evidence.awsInstanceIdentity->document;
    auto attributes = verify(*evidence.awsInstanceIdentity, now);
    if (!attributes) {
      return Error{attributes.error().code,
                   "trust provider " + name() + " (" + type() + "): " + attributes.error().message};
    }
    VerifiedIdentity identity;
    identity.subject = std::move(attributes->first);
    identity.trace.push_back(
        "PKCS#7 signature (rsa2048) by a pinned AWS certificate verified; "
        "the signed content is the document (" +
        crypto::fingerprint(document) + ")");
    if (maxInstanceAge_) {
      identity.trace.push_back("instance launched within maxInstanceAgeSeconds (" +
                               std::to_string(maxInstanceAge_->count()) + ")");
    }
    return applyRules(std::move(identity), std::move(attributes->second));
  }

 protected:
  Result<void> configure(const nlohmann::json& spec) override {
    for (const auto& pem : spec.value("certificates", nlohmann::json::array())) {
      auto certificate = crypto::parseCertificatePem(pem.get<std::string>());
      if (!certificate) {
        return fail(ErrorCode::kInvalidArgument,
                    "/spec/certificates: " + certificate.error().message);
      }
      certificates_.push_back(std::move(*certificate));
    }
    if (certificates_.empty()) {
      return fail(ErrorCode::kInvalidArgument, "/spec/certificates is required");
    }
    if (spec.contains("maxInstanceAgeSeconds")) {
      maxInstanceAge_ = Seconds(spec["maxInstanceAgeSeconds"].get<std::int64_t>());
    }
    return {};
  }

  std::string_view attributePrefix() const override { return "aws"; }

 private:
  using Attributes = std::vector<std::pair<std::string, std::string>>;

  // The instance id and the document's attributes, once the signature and the document hold.
  Result<std::pair<std::string, Attributes>> verify(const AwsInstanceIdentityEvidence& evidence,
                                                    SystemTime now) const {
    auto der = crypto::base64Decode(evidence.rsa2048);
    if (!der) {
      return fail(ErrorCode::kEvidenceInvalid, "rsa2048: " + der.error().message);
    }
    auto content = crypto::verifyPinnedSignedData(*der, certificates_);
    if (!content) {
      return fail(content.error().code == ErrorCode::kCryptoFailure ? ErrorCode::kInternal
                                                                    : ErrorCode::kEvidenceInvalid,
                  "rsa2048: " + content.error().message);
    }
    // The signature covers the exact bytes IMDS served: a re-serialized or edited document is
    // not the signed one, however equal its JSON.
    if (*content != evidence.document) {
      return fail(ErrorCode::kEvidenceInvalid, "the document (" +
                                                   crypto::fingerprint(evidence.document) +
                                                   ") is not the content that was signed (" +
                                                   crypto::fingerprint(*content) + ")");
    }
    jose::JsonLimits limits;
    limits.maxBytes = kMaxEvidenceDocumentBytes;
    limits.maxDepth = 4;
    auto json = jose::parseStrictJson(evidence.document, limits);
    if (!json || !json->is_object()) {
      return fail(ErrorCode::kEvidenceInvalid,
                  "the document is not a JSON object" +
                      (json ? std::string() : ": " + json.error().message));
    }
    Attributes attributes;
    for (const char* member : {"accountId", "instanceId", "region", "availabilityZone", "imageId",
                               "instanceType", "architecture", "privateIp"}) {
      const auto it = json->find(member);
      if (it == json->end() || it->is_null()) {
        continue;
      }
      if (!it->is_string()) {
        return fail(ErrorCode::kEvidenceInvalid,
                    std::string("the document's ") + member + " is not a string");
      }
      attributes.emplace_back(member, it->get<std::string>());
    }
    const auto value = [&](std::string_view name) -> std::string {
      for (const auto& [n, v] : attributes) {
        if (n == name) {
          return v;
        }
      }
      return "";
    };
    for (const char* required : {"accountId", "instanceId", "region"}) {
      if (value(required).empty()) {
        return fail(ErrorCode::kEvidenceInvalid, std::string("the document has no ") + required +
                                                     ": not an EC2 instance identity document");
      }
    }
    if (maxInstanceAge_) {
      const auto pending = json->find("pendingTime");
      if (pending == json->end() || !pending->is_string()) {
        return fail(ErrorCode::kEvidenceInvalid,
                    "the document has no pendingTime, which maxInstanceAgeSeconds needs");
      }
      auto launched = parseRfc3339(pending->get<std::string>());
      if (!launched) {
        return fail(ErrorCode::kEvidenceInvalid,
                    "the document's pendingTime is not an RFC 3339 time");
      }
      if (now - *launched > *maxInstanceAge_) {
        return fail(ErrorCode::kTokenExpired, "the instance was launched at " +
                                                  formatRfc3339(*launched) +
                                                  ", longer ago than maxInstanceAgeSeconds (" +
                                                  std::to_string(maxInstanceAge_->count()) + ")");
      }
    }
    return std::pair{value("instanceId"), std::move(attributes)};
  }

  std::vector<crypto::X509Ptr> certificates_;
  std::optional<Seconds> maxInstanceAge_;
};

}  // namespace

std::unique_ptr<TrustProvider> makeAwsInstanceIdentityTrustProvider(std::string name) {
  return std::make_unique<AwsInstanceIdentityTrustProvider>(std::move(name));
}

}  // namespace tessera::trust
