// PKCS#7 SignedData and X.509 helpers against certificates and messages the test makes: pinned
// verification (the EC2 instance identity signature), chain verification at a given time (Azure
// attested data), PEM parsing and the base64 decoder.
#include "crypto/pkcs7.hpp"

#include <gtest/gtest.h>

#include "test_pki.hpp"

namespace tessera::crypto {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testpki::makeCertificate;
using testpki::signPkcs7;

const SystemTime kNow = SystemTime(seconds(1'800'000'000));
const std::string kContent = R"({"accountId":"123456789012","instanceId":"i-0abc"})";

testpki::CertificateOptions leaf(std::string cn, std::vector<std::string> dns = {}) {
  return {std::move(cn), std::move(dns), kNow - hours(24), kNow + hours(24 * 365), false};
}
testpki::CertificateOptions ca(std::string cn) {
  return {std::move(cn), {}, kNow - hours(24 * 365), kNow + hours(24 * 3650), true};
}

std::vector<X509Ptr> certs(std::initializer_list<const testpki::TestCertificate*> list) {
  std::vector<X509Ptr> out;
  for (const auto* c : list) {
    X509_up_ref(c->certificate.get());
    out.emplace_back(c->certificate.get());
  }
  return out;
}

TEST(Pkcs7, PinnedSignerYieldsTheContent) {
  const auto signer = makeCertificate(leaf("ec2.us-west-2.amazonaws.com"));
  const auto other = makeCertificate(leaf("other"));
  const auto pinned = certs({&other, &signer});
  auto content =
      verifyPinnedSignedData(signPkcs7(kContent, signer, {.includeCertificate = false}), pinned);
  ASSERT_TRUE(content.ok()) << content.error().message;
  EXPECT_EQ(*content, kContent);
}

TEST(Pkcs7, SignerOutsideThePinsIsRefusedEvenWhenItTravelsInTheMessage) {
  const auto signer = makeCertificate(leaf("attacker"));
  const auto pinnedCert = makeCertificate(leaf("ec2"));
  auto result = verifyPinnedSignedData(signPkcs7(kContent, signer), certs({&pinnedCert}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(result.error().message, "the signer certificate is not among the trusted ones");
}

TEST(Pkcs7, TamperedContentDoesNotVerify) {
  const auto signer = makeCertificate(leaf("ec2"));
  std::string der = signPkcs7(kContent, signer);
  const auto at = der.find("i-0abc");
  ASSERT_NE(at, std::string::npos);
  der[at + 2] = 'X';
  auto result = verifyPinnedSignedData(der, certs({&signer}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(result.error().message.find("i-0"), std::string::npos);
}

TEST(Pkcs7, MalformedMessagesAreInvalidArguments) {
  const auto signer = makeCertificate(leaf("ec2"));
  EXPECT_EQ(verifyPinnedSignedData("", certs({&signer})).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(verifyPinnedSignedData("not der at all", certs({&signer})).error().code,
            ErrorCode::kInvalidArgument);
  const std::string der = signPkcs7(kContent, signer);
  EXPECT_EQ(verifyPinnedSignedData(der + "x", certs({&signer})).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(verifyPinnedSignedData(der.substr(0, der.size() / 2), certs({&signer})).error().code,
            ErrorCode::kInvalidArgument);
  auto detached =
      verifyPinnedSignedData(signPkcs7(kContent, signer, {.detached = true}), certs({&signer}));
  ASSERT_FALSE(detached.ok());
  EXPECT_EQ(detached.error().code, ErrorCode::kInvalidArgument);
}

TEST(Pkcs7, ChainToARootThroughAnIntermediateAtTheGivenTime) {
  const auto root = makeCertificate(ca("Test Root"));
  const auto intermediate = makeCertificate(ca("Test Issuing CA"), &root);
  const auto signer = makeCertificate(
      leaf("metadata.azure.com", {"metadata.azure.com", "eastus.metadata.azure.com"}),
      &intermediate);
  const std::string der = signPkcs7(kContent, signer);
  auto verified = verifyChainedSignedData(der, certs({&root}), certs({&intermediate}), kNow);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->content, kContent);
  EXPECT_EQ(verified->signerNames,
            (std::vector<std::string>{"metadata.azure.com", "metadata.azure.com",
                                      "eastus.metadata.azure.com"}));
  EXPECT_NE(verified->signerSubject.find("CN=metadata.azure.com"), std::string::npos);

  auto noIntermediate = verifyChainedSignedData(der, certs({&root}), {}, kNow);
  ASSERT_FALSE(noIntermediate.ok());
  EXPECT_EQ(noIntermediate.error().code, ErrorCode::kUnauthenticated);

  auto pinnedIntermediate = verifyChainedSignedData(der, certs({&intermediate}), {}, kNow);
  EXPECT_TRUE(pinnedIntermediate.ok()) << "a configured intermediate is an anchor";

  const auto otherRoot = makeCertificate(ca("Other Root"));
  auto unknown = verifyChainedSignedData(der, certs({&otherRoot}), certs({&intermediate}), kNow);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("does not chain to a trusted CA"), std::string::npos);

  auto later =
      verifyChainedSignedData(der, certs({&root}), certs({&intermediate}), kNow + hours(24 * 400));
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error().message.find("expired"), std::string::npos);
}

TEST(Pkcs7, ChainedMessagesMustCarryTheirSigner) {
  const auto root = makeCertificate(ca("Test Root"));
  const auto signer = makeCertificate(leaf("metadata.azure.com"), &root);
  auto result = verifyChainedSignedData(signPkcs7(kContent, signer, {.includeCertificate = false}),
                                        certs({&root}), {}, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
}

TEST(Pkcs7, PemCertificates) {
  const auto c = makeCertificate(leaf("x"));
  auto parsed = parseCertificatePem("\n  " + c.pem() + "\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(X509_cmp(parsed->get(), c.certificate.get()), 0);
  EXPECT_FALSE(parseCertificatePem("").ok());
  EXPECT_FALSE(parseCertificatePem("hello").ok());
  EXPECT_FALSE(parseCertificatePem(c.pem() + c.pem()).ok()) << "exactly one";
  std::string broken = c.pem();
  broken[100] = broken[100] == 'A' ? 'B' : 'A';
  broken.erase(200, 8);
  EXPECT_FALSE(parseCertificatePem(broken).ok());
}

TEST(Pkcs7, Base64IsStrictButAcceptsLineBreaks) {
  EXPECT_EQ(*base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*base64Decode("aGVs\nbG8h\r\n"), "hello!");
  EXPECT_EQ(*base64Decode("aGk="), "hi");
  EXPECT_EQ(*base64Decode("aA=="), "h");
  for (const char* bad : {"", "aGVsbG8", "aGVsbG8==", "aGk9=", "aGk=aGk=", "aG k=", "aGl=", "aB==",
                          "a===", "aGVs_G8="}) {
    auto r = base64Decode(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kBase64Invalid);
    }
  }
}

}  // namespace
}  // namespace tessera::crypto
