// Document trust providers (aws-instance-identity, azure-attested) against documents signed by
// keys and certificates the test makes at run time: what verifies, what each refusal is
// classified as, the attributes, and that no error message carries the document or signature.
#include <gtest/gtest.h>

#include "model/field_errors.hpp"
#include "model/spec_registry.hpp"
#include "test_pki.hpp"
#include "trust/provider_types.hpp"
#include "trust/trust_provider.hpp"

namespace tessera::trust {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::seconds;
using testpki::makeCertificate;
using testpki::signPkcs7;

const SystemTime kNow = SystemTime(seconds(1'800'000'000));  // 2027-01-15T08:00:00Z

testpki::CertificateOptions leaf(std::string cn, std::vector<std::string> dns = {},
                                 SystemTime notAfter = kNow + hours(24 * 365)) {
  return {std::move(cn), std::move(dns), kNow - hours(24 * 30), notAfter, false};
}
testpki::CertificateOptions ca(std::string cn) {
  return {std::move(cn), {}, kNow - hours(24 * 365), kNow + hours(24 * 3650), true};
}

std::unique_ptr<const TrustProvider> compile(const std::string& name, const json& spec) {
  model::ConfigObject o;
  o.kind = model::Kind::kTrustProvider;
  o.metadata.name = name;
  o.spec = spec;
  auto compiled = compileTrustProvider(o);
  EXPECT_TRUE(compiled.ok()) << compiled.error().message;
  return compiled.ok() ? std::move(*compiled) : nullptr;
}

std::vector<FieldError> specErrors(const json& spec) {
  model::FieldErrors errors;
  model::SpecRegistry::builtin().validateSpec(model::Kind::kTrustProvider, spec, "/spec", errors);
  return errors.items();
}

// ---- aws-instance-identity ----

const std::string kDocument =
    "{\n  \"accountId\" : \"123456789012\",\n  \"architecture\" : \"x86_64\",\n"
    "  \"availabilityZone\" : \"us-west-2b\",\n  \"billingProducts\" : null,\n"
    "  \"devpayProductCodes\" : null,\n  \"marketplaceProductCodes\" : null,\n"
    "  \"imageId\" : \"ami-5fb8c835\",\n  \"instanceId\" : \"i-1234567890abcdef0\",\n"
    "  \"instanceType\" : \"t2.micro\",\n  \"kernelId\" : null,\n"
    "  \"pendingTime\" : \"2027-01-10T16:32:11Z\",\n  \"privateIp\" : \"10.158.112.84\",\n"
    "  \"ramdiskId\" : null,\n  \"region\" : \"us-west-2\",\n  \"version\" : \"2017-09-30\"\n}";

class AwsInstanceIdentity : public ::testing::Test {
 protected:
  AwsInstanceIdentity()
      : aws_(makeCertificate(leaf("ec2.us-west-2.amazonaws.com"))),
        other_(makeCertificate(leaf("ec2.eu-west-1.amazonaws.com"))) {}

  json spec(json extra = json::object()) const {
    json s = {{"type", "aws-instance-identity"}, {"certificates", {other_.pem(), aws_.pem()}}};
    s.update(extra);
    return s;
  }

  Evidence evidence(const std::string& document, const std::string& rsa2048) const {
    Evidence e;
    e.awsInstanceIdentity = AwsInstanceIdentityEvidence{document, rsa2048};
    return e;
  }

  // As IMDS serves it: base64 without armor, line-wrapped, no certificate inside.
  std::string signature(const std::string& document, const testpki::TestCertificate& by) const {
    return testpki::base64(signPkcs7(document, by, {.includeCertificate = false}), true);
  }

  void expectRefused(const TrustProvider& p, const Evidence& e, ErrorCode code,
                     const std::string& fragment) {
    auto result = p.verifyDocument(e, kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, code) << result.error().message;
    EXPECT_NE(result.error().message.find(fragment), std::string::npos) << result.error().message;
    const auto& sent = *e.awsInstanceIdentity;
    EXPECT_EQ(result.error().message.find(sent.rsa2048.substr(0, 24)), std::string::npos);
    EXPECT_EQ(result.error().message.find("i-1234567890abcdef0"), std::string::npos)
        << "no document content in errors";
  }

  testpki::TestCertificate aws_;
  testpki::TestCertificate other_;
};

TEST_F(AwsInstanceIdentity, ValidDocumentYieldsInstanceAttributes) {
  auto p = compile("ec2", spec({{"rules",
                                 {{{"attribute", "accountId"}, {"equals", "123456789012"}},
                                  {{"attribute", "region"}, {"glob", "us-*"}}}}}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->evidenceKind(), EvidenceKind::kAwsInstanceIdentity);
  auto id = p->verifyDocument(evidence(kDocument, signature(kDocument, aws_)), kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->provider, "ec2");
  EXPECT_EQ(id->type, "aws-instance-identity");
  EXPECT_EQ(id->subject, "i-1234567890abcdef0");
  EXPECT_FALSE(id->expiresAt.has_value());
  const std::map<std::string, std::string> expected = {
      {"aws.accountId", "123456789012"}, {"aws.instanceId", "i-1234567890abcdef0"},
      {"aws.region", "us-west-2"},       {"aws.availabilityZone", "us-west-2b"},
      {"aws.imageId", "ami-5fb8c835"},   {"aws.instanceType", "t2.micro"},
      {"aws.architecture", "x86_64"},    {"aws.privateIp", "10.158.112.84"}};
  EXPECT_EQ(id->attributes.size(), expected.size());
  for (const auto& [name, value] : expected) {
    ASSERT_TRUE(id->attributes.contains(name)) << name;
    EXPECT_EQ(id->attributes.at(name).value, value);
    EXPECT_TRUE(id->attributes.at(name).verified);
    EXPECT_EQ(id->attributes.at(name).source, "ec2");
  }
  EXPECT_EQ(id->trace.size(), 3u);

  auto refused =
      compile("ec2b", spec({{"rules", {{{"attribute", "accountId"}, {"equals", "1"}}}}}));
  EXPECT_EQ(
      refused->verifyDocument(evidence(kDocument, signature(kDocument, aws_)), kNow).error().code,
      ErrorCode::kTrustRuleFailed);
}

TEST_F(AwsInstanceIdentity, RefusesWhatIsNotTheSignedPinnedDocument) {
  auto p = compile("ec2", spec());
  ASSERT_TRUE(p);
  const std::string sig = signature(kDocument, aws_);

  std::string tampered = kDocument;
  tampered.replace(tampered.find("123456789012"), 12, "999999999999");
  expectRefused(*p, evidence(tampered, sig), ErrorCode::kEvidenceInvalid,
                "is not the content that was signed");
  expectRefused(*p, evidence(kDocument + " ", sig), ErrorCode::kEvidenceInvalid,
                "is not the content that was signed");

  const auto stranger = makeCertificate(leaf("ec2.us-west-2.amazonaws.com"));
  expectRefused(*p, evidence(kDocument, signature(kDocument, stranger)),
                ErrorCode::kEvidenceInvalid, "not among the trusted ones");
  // Carrying the stranger's certificate inside the message changes nothing.
  expectRefused(*p, evidence(kDocument, testpki::base64(signPkcs7(kDocument, stranger))),
                ErrorCode::kEvidenceInvalid, "not among the trusted ones");

  expectRefused(*p, evidence(kDocument, "%%% not base64 %%%"), ErrorCode::kEvidenceInvalid,
                "rsa2048: base64");
  expectRefused(*p, evidence(kDocument, testpki::base64("this is not a PKCS#7 message")),
                ErrorCode::kEvidenceInvalid, "not a DER PKCS#7 message");

  const std::string notJson = "accountId=123456789012";
  expectRefused(*p, evidence(notJson, signature(notJson, aws_)), ErrorCode::kEvidenceInvalid,
                "not a JSON object");
  const std::string duplicate = R"({"instanceId":"a","instanceId":"b"})";
  expectRefused(*p, evidence(duplicate, signature(duplicate, aws_)), ErrorCode::kEvidenceInvalid,
                "not a JSON object");
  const std::string notEc2 = R"({"hello":"world"})";
  expectRefused(*p, evidence(notEc2, signature(notEc2, aws_)), ErrorCode::kEvidenceInvalid,
                "has no accountId");

  auto missing = p->verifyDocument(Evidence{}, kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kEvidenceMissing);
}

TEST_F(AwsInstanceIdentity, MaxInstanceAgeRefusesOldInstances) {
  const auto sig = signature(kDocument, aws_);
  // pendingTime is 2027-01-10T16:32:11Z, about 4.6 days before kNow.
  auto young = compile("ec2", spec({{"maxInstanceAgeSeconds", 7 * 86400}}));
  EXPECT_TRUE(young->verifyDocument(evidence(kDocument, sig), kNow).ok());
  auto strict = compile("ec2", spec({{"maxInstanceAgeSeconds", 86400}}));
  expectRefused(*strict, evidence(kDocument, sig), ErrorCode::kTokenExpired,
                "launched at 2027-01-10T16:32:11Z, longer ago than maxInstanceAgeSeconds (86400)");
}

TEST_F(AwsInstanceIdentity, SpecPinsParsableCertificates) {
  EXPECT_TRUE(specErrors(spec()).empty());
  auto errors = specErrors({{"type", "aws-instance-identity"}, {"certificates", {"not a pem"}}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/spec/certificates/0");
  errors = specErrors({{"type", "aws-instance-identity"}, {"certificates", json::array()}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/spec/certificates");
  errors = specErrors({{"type", "aws-instance-identity"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/spec/certificates");
}

// ---- azure-attested ----

json attested(std::int64_t nonce, const std::string& created = "01/15/27 07:00:00 -0000",
              const std::string& expires = "01/15/27 13:00:00 -0000") {
  return {{"licenseType", ""},
          {"nonce", std::to_string(nonce)},
          {"plan", {{"name", "plan-a"}, {"product", "tessera-vm"}, {"publisher", "example"}}},
          {"sku", "22_04-lts-gen2"},
          {"subscriptionId", "8d10da13-8125-4ba9-a717-bf7490507b3d"},
          {"timeStamp", {{"createdOn", created}, {"expiresOn", expires}}},
          {"vmId", "02aab8a4-74ef-476e-8182-f6d2ba4166a6"}};
}

class AzureAttested : public ::testing::Test {
 protected:
  AzureAttested()
      : root_(makeCertificate(ca("Test Root G2"))),
        issuing_(makeCertificate(ca("Test Azure RSA TLS Issuing CA 03"), &root_)),
        signer_(makeCertificate(leaf("metadata.azure.com", {"metadata.azure.com"}), &issuing_)) {}

  json spec(json extra = json::object()) const {
    json s = {{"type", "azure-attested"},
              {"caCertificates", {root_.pem()}},
              {"intermediateCertificates", {issuing_.pem()}}};
    s.update(extra);
    return s;
  }

  Evidence evidence(const json& document, const testpki::TestCertificate& signer) const {
    Evidence e;
    e.azureAttestedDocument =
        AzureAttestedEvidence{"pkcs7", testpki::base64(signPkcs7(document.dump(), signer))};
    return e;
  }

  void expectRefused(const TrustProvider& p, const Evidence& e, ErrorCode code,
                     const std::string& fragment, SystemTime now = kNow) {
    auto result = p.verifyDocument(e, now);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, code) << result.error().message;
    EXPECT_NE(result.error().message.find(fragment), std::string::npos) << result.error().message;
    EXPECT_EQ(result.error().message.find(e.azureAttestedDocument->signature.substr(0, 24)),
              std::string::npos);
    EXPECT_EQ(result.error().message.find("02aab8a4"), std::string::npos);
  }

  testpki::TestCertificate root_;
  testpki::TestCertificate issuing_;
  testpki::TestCertificate signer_;
};

TEST_F(AzureAttested, ValidDocumentYieldsVmAttributes) {
  auto p = compile("azure", spec({{"rules",
                                   {{{"attribute", "subscriptionId"},
                                     {"equals", "8d10da13-8125-4ba9-a717-bf7490507b3d"}}}}}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->evidenceKind(), EvidenceKind::kAzureAttested);
  const std::int64_t asked = toUnixSeconds(kNow) - 20;
  auto id = p->verifyDocument(evidence(attested(asked), signer_), kNow);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->subject, "02aab8a4-74ef-476e-8182-f6d2ba4166a6");
  EXPECT_EQ(id->attributes.at("azure.vmId").value, "02aab8a4-74ef-476e-8182-f6d2ba4166a6");
  EXPECT_EQ(id->attributes.at("azure.subscriptionId").value,
            "8d10da13-8125-4ba9-a717-bf7490507b3d");
  EXPECT_EQ(id->attributes.at("azure.sku").value, "22_04-lts-gen2");
  EXPECT_EQ(id->attributes.at("azure.planName").value, "plan-a");
  EXPECT_EQ(id->attributes.at("azure.planProduct").value, "tessera-vm");
  EXPECT_EQ(id->attributes.at("azure.planPublisher").value, "example");
  EXPECT_FALSE(id->attributes.contains("azure.licenseType")) << "empty means absent";
  EXPECT_FALSE(id->attributes.contains("azure.nonce"));
  ASSERT_TRUE(id->expiresAt.has_value());
  EXPECT_EQ(toUnixSeconds(*id->expiresAt), asked + 300) << "the nonce's window ends first";

  // Late in the window the document's own expiry comes first.
  auto late = compile("azure", spec({{"maxNonceAgeSeconds", 3600}}));
  const SystemTime lateNow = kNow + hours(4) + std::chrono::minutes(30);
  auto id2 = late->verifyDocument(evidence(attested(toUnixSeconds(lateNow)), signer_), lateNow);
  ASSERT_TRUE(id2.ok()) << id2.error().message;
  EXPECT_EQ(toUnixSeconds(*id2->expiresAt), toUnixSeconds(kNow) + 5 * 3600);
}

TEST_F(AzureAttested, TimeStampAndNonceBoundTheDocument) {
  auto p = compile("azure", spec());
  ASSERT_TRUE(p);
  const std::int64_t now = toUnixSeconds(kNow);
  expectRefused(
      *p, evidence(attested(now, "01/15/27 00:00:00 -0000", "01/15/27 06:00:00 -0000"), signer_),
      ErrorCode::kTokenExpired, "expired at 2027-01-15T06:00:00Z");
  expectRefused(*p, evidence(attested(now - 301), signer_), ErrorCode::kTokenExpired,
                "longer ago than maxNonceAgeSeconds (300)");
  expectRefused(*p, evidence(attested(now + 301), signer_), ErrorCode::kTokenIssuedInFuture,
                "in the future");
  EXPECT_TRUE(p->verifyDocument(evidence(attested(now + 30), signer_), kNow).ok())
      << "a little clock skew is fine";
  auto random = attested(now);
  random["nonce"] = "abcde12345";
  expectRefused(*p, evidence(random, signer_), ErrorCode::kEvidenceInvalid,
                "nonce is not a Unix time");
  auto garbled = attested(now, "2027-01-15T07:00:00Z");
  expectRefused(*p, evidence(garbled, signer_), ErrorCode::kEvidenceInvalid,
                "timeStamp is not of the form");
  expectRefused(*p, evidence(attested(now), signer_), ErrorCode::kTokenNotYetValid, "in the future",
                kNow - hours(2));
}

TEST_F(AzureAttested, SignerMustBeNamedAndChainToTheConfiguredCas) {
  auto p = compile("azure", spec());
  ASSERT_TRUE(p);
  const std::int64_t now = toUnixSeconds(kNow);

  const auto impostor =
      makeCertificate(leaf("metadata.evil.example", {"metadata.evil.example"}), &issuing_);
  expectRefused(*p, evidence(attested(now), impostor), ErrorCode::kEvidenceInvalid,
                "is not named one of signerNames [metadata.azure.com]");

  const auto otherRoot = makeCertificate(ca("Unknown Root"));
  const auto otherIssuing = makeCertificate(ca("Unknown Issuing CA"), &otherRoot);
  const auto foreign =
      makeCertificate(leaf("metadata.azure.com", {"metadata.azure.com"}), &otherIssuing);
  expectRefused(*p, evidence(attested(now), foreign), ErrorCode::kEvidenceInvalid,
                "does not chain to a trusted CA");

  const auto expired = makeCertificate(
      leaf("metadata.azure.com", {"metadata.azure.com"}, kNow - hours(1)), &issuing_);
  expectRefused(*p, evidence(attested(now), expired), ErrorCode::kEvidenceInvalid,
                "certificate has expired");

  Evidence garbage;
  garbage.azureAttestedDocument = AzureAttestedEvidence{"pkcs7", "bm90IHBrY3M3"};
  expectRefused(*p, garbage, ErrorCode::kEvidenceInvalid, "not a DER PKCS#7 message");

  const auto regional =
      makeCertificate(leaf("eastus.metadata.azure.com", {"eastus.metadata.azure.com"}), &issuing_);
  expectRefused(*p, evidence(attested(now), regional), ErrorCode::kEvidenceInvalid, "signerNames");
  auto wildcard = compile("azure", spec({{"signerNames", {"*.metadata.azure.com"}}}));
  EXPECT_TRUE(wildcard->verifyDocument(evidence(attested(now), regional), kNow).ok());
  const auto deeper = makeCertificate(
      leaf("a.eastus.metadata.azure.com", {"a.eastus.metadata.azure.com"}), &issuing_);
  EXPECT_FALSE(wildcard->verifyDocument(evidence(attested(now), deeper), kNow).ok())
      << "the star is one label";

  auto missing = p->verifyDocument(Evidence{}, kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kEvidenceMissing);
}

TEST_F(AzureAttested, SpecValidation) {
  EXPECT_TRUE(specErrors(spec()).empty());
  auto errors = specErrors({{"type", "azure-attested"},
                            {"caCertificates", {root_.pem()}},
                            {"signerNames", {"Metadata.Azure.com", "*.*.azure.com"}}});
  EXPECT_EQ(errors.size(), 2u);
  errors = specErrors(
      {{"type", "azure-attested"},
       {"caCertificates", {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/spec/caCertificates/0");
}

TEST(AzureAttestedTime, ParsesTheAttestedFormatOnly) {
  EXPECT_EQ(toUnixSeconds(*parseAzureAttestedTime("11/30/26 06:00:00 -0000")), 1796018400);
  EXPECT_EQ(toUnixSeconds(*parseAzureAttestedTime("11/30/26 08:00:00 +0200")), 1796018400);
  EXPECT_EQ(toUnixSeconds(*parseAzureAttestedTime("02/29/28 00:00:00 -0000")), 1835395200);
  for (const char* bad :
       {"", "11/30/26 06:00:00", "11/30/2026 06:00:00 -0000", "13/01/26 00:00:00 -0000",
        "02/29/27 00:00:00 -0000", "11/30/26 24:00:00 -0000", "11/30/26 06:00:00 Z0000",
        "1a/30/26 06:00:00 -0000"}) {
    EXPECT_FALSE(parseAzureAttestedTime(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tessera::trust
