#include "crypto/edge_ca.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_pki.hpp"

namespace tessera::crypto {
namespace {

using namespace std::chrono_literals;

const SystemTime kNow = fromUnixSeconds(1796083200);  // 2026-12-01T00:00:00Z

X509Ptr parsePem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::vector<X509Ptr> parseAllPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(c);
  }
  ERR_clear_error();
  return out;
}

SystemTime toSystem(const ASN1_TIME* t) {
  std::tm tm{};
  EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
  return fromUnixSeconds(timegm(&tm));
}

enum class NameKind { kHost, kIp };

// X509_verify_cert of `leaf` against `ca` as the only anchor at `at`, strict RFC 5280 checks, the
// serverAuth purpose and the name check browsers do; the OpenSSL error on failure.
int verifyLeaf(X509* leaf, X509* ca, SystemTime at, const std::string& name,
               NameKind kind = NameKind::kHost) {
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_add_cert(store.get(), ca);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(toUnixSeconds(at)));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  // Browsers look only at the subjectAltName, never at the CN.
  X509_VERIFY_PARAM_set_hostflags(
      param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
  if (kind == NameKind::kHost) {
    EXPECT_EQ(X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()), 1);
  } else {
    EXPECT_EQ(X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()), 1);
  }
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return ok == 1 ? X509_V_OK : (error == X509_V_OK ? -1 : error);
}

std::vector<std::pair<int, std::string>> subjectAltNames(X509* cert, int* critical) {
  std::vector<std::pair<int, std::string>> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, critical, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    const ASN1_STRING* s = n->type == GEN_DNS ? n->d.dNSName : n->d.iPAddress;
    out.emplace_back(n->type, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                          static_cast<std::size_t>(ASN1_STRING_length(s))));
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string commonName(X509* cert) {
  char buf[256] = {};
  const int n =
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<std::size_t>(n));
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "edge_ca_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

EdgeCa makeCa(std::chrono::seconds validity = std::chrono::hours(24 * 365)) {
  auto ca = EdgeCa::createSelfSigned("Tessera edge CA test", validity, kNow);
  EXPECT_TRUE(ca.ok()) << (ca ? "" : ca.error().describe());
  return std::move(*ca);
}

TEST(EdgeCa, SelfSignedIsAnEcdsaP256CaWithPathLenZero) {
  const auto ca = makeCa();
  const auto cert = parsePem(ca.certificatePem());
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_EQ(X509_get_pathlen(cert.get()), 0);
  EXPECT_TRUE(X509_get_extension_flags(cert.get()) & EXFLAG_CA);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  int critical = -1;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert.get(), NID_basic_constraints, &critical, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_EQ(critical, 1);
  BASIC_CONSTRAINTS_free(bc);
  auto* ku = static_cast<ASN1_BIT_STRING*>(
      X509_get_ext_d2i(cert.get(), NID_key_usage, &critical, nullptr));
  ASSERT_NE(ku, nullptr);
  EXPECT_EQ(critical, 1);
  ASN1_BIT_STRING_free(ku);
  EXPECT_EQ(commonName(cert.get()), "Tessera edge CA test");

  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  ASSERT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  char group[64] = {};
  ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, nullptr), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_verify(cert.get(), key), 1);

  EXPECT_EQ(toSystem(X509_get0_notBefore(cert.get())), kNow - 1h);
  EXPECT_EQ(toSystem(X509_get0_notAfter(cert.get())), kNow + std::chrono::hours(24 * 365));
  EXPECT_EQ(ca.notAfter(), kNow + std::chrono::hours(24 * 365));

  // Positive, random, 128 bits (at most 17 DER octets with a sign byte).
  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  EXPECT_FALSE(BN_is_negative(serial.get()));
  EXPECT_FALSE(BN_is_zero(serial.get()));
  EXPECT_LE(BN_num_bits(serial.get()), 128);
  EXPECT_GT(BN_num_bits(serial.get()), 64);  // fails with probability 2^-64
  const auto other = makeCa();
  BnPtr otherSerial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(parsePem(other.certificatePem()).get()), nullptr));
  EXPECT_NE(BN_cmp(serial.get(), otherSerial.get()), 0);
}

TEST(EdgeCa, RefusesABadCommonNameOrValidity) {
  EXPECT_EQ(EdgeCa::createSelfSigned("", 24h, kNow).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(EdgeCa::createSelfSigned(std::string(65, 'a'), 24h, kNow).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(EdgeCa::createSelfSigned("ca", 0s, kNow).error().code, ErrorCode::kInvalidArgument);
}

TEST(EdgeCa, FingerprintIsTheSha256OfTheDer) {
  const auto ca = makeCa();
  const auto cert = parsePem(ca.certificatePem());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  ASSERT_EQ(X509_digest(cert.get(), EVP_sha256(), md, &n), 1);
  std::string hex;
  for (unsigned i = 0; i < n; ++i) {
    char b[3];
    snprintf(b, sizeof b, "%02x", md[i]);
    hex += b;
  }
  EXPECT_EQ(ca.fingerprintSha256(), hex);
  EXPECT_EQ(hex.size(), 64u);
}

TEST(EdgeCa, LeafForADnsNameChainsToTheCaAndMatchesOnlyItsHost) {
  const auto ca = makeCa();
  const auto caCert = parsePem(ca.certificatePem());
  auto leaf = ca.issueLeaf("API.Example.com", kNow);
  ASSERT_TRUE(leaf.ok()) << leaf.error().describe();
  const auto cert = parsePem(leaf->certificatePem);
  ASSERT_TRUE(cert);

  EXPECT_EQ(verifyLeaf(cert.get(), caCert.get(), kNow, "api.example.com"), X509_V_OK);
  EXPECT_EQ(verifyLeaf(cert.get(), caCert.get(), kNow, "API.EXAMPLE.COM"), X509_V_OK);
  EXPECT_EQ(verifyLeaf(cert.get(), caCert.get(), kNow, "other.example.com"),
            X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(verifyLeaf(cert.get(), caCert.get(), kNow, "example.com"),
            X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(verifyLeaf(cert.get(), caCert.get(), kNow + 25h, "api.example.com"),
            X509_V_ERR_CERT_HAS_EXPIRED);
  // Another CA's leaf for the same host does not chain.
  const auto stranger = makeCa();
  EXPECT_EQ(verifyLeaf(parsePem(stranger.issueLeaf("api.example.com", kNow)->certificatePem).get(),
                       caCert.get(), kNow, "api.example.com"),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

  int critical = -1;
  const auto sans = subjectAltNames(cert.get(), &critical);
  ASSERT_EQ(sans.size(), 1u);
  EXPECT_EQ(sans[0].first, GEN_DNS);
  EXPECT_EQ(sans[0].second, "api.example.com");
  EXPECT_EQ(critical, 0);
  EXPECT_EQ(commonName(cert.get()), "api.example.com");
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(caCert.get())),
            0);

  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_TRUE(X509_get_extension_flags(cert.get()) & EXFLAG_BCONS);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  ASSERT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert.get()),
                                  X509_get0_subject_key_id(caCert.get())),
            0);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  char group[64] = {};
  ASSERT_EQ(EVP_PKEY_get_group_name(X509_get0_pubkey(cert.get()), group, sizeof group, nullptr), 1);
  EXPECT_STREQ(group, "prime256v1");

  EXPECT_EQ(toSystem(X509_get0_notBefore(cert.get())), kNow - 5min);
  EXPECT_EQ(toSystem(X509_get0_notAfter(cert.get())), kNow + 24h);
  EXPECT_EQ(leaf->notAfter, kNow + 24h);
}

TEST(EdgeCa, ChainAndKeyAreUsable) {
  const auto ca = makeCa();
  auto leaf = ca.issueLeaf("db.internal", kNow, 1h);
  ASSERT_TRUE(leaf.ok());
  const auto chain = parseAllPem(leaf->chainPem);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(X509_cmp(chain[0].get(), parsePem(leaf->certificatePem).get()), 0);
  EXPECT_EQ(X509_cmp(chain[1].get(), parsePem(ca.certificatePem()).get()), 0);
  EXPECT_NE(leaf->privateKeyPem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  BioPtr bio(
      BIO_new_mem_buf(leaf->privateKeyPem.data(), static_cast<int>(leaf->privateKeyPem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(chain[0].get(), key.get()), 1);
  EXPECT_EQ(leaf->notAfter, kNow + 1h);
  // Each leaf has its own key and serial.
  auto again = ca.issueLeaf("db.internal", kNow, 1h);
  EXPECT_NE(again->privateKeyPem, leaf->privateKeyPem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(chain[0].get()),
                             X509_get0_serialNumber(parsePem(again->certificatePem).get())),
            0);
}

TEST(EdgeCa, LeafForIpLiteralsUsesIpAddressNames) {
  const auto ca = makeCa();
  const auto caCert = parsePem(ca.certificatePem());
  for (const std::string ip : {"127.0.0.1", "10.1.2.3", "::1", "2001:db8::5"}) {
    auto leaf = ca.issueLeaf(ip, kNow);
    ASSERT_TRUE(leaf.ok()) << ip << ": " << leaf.error().describe();
    const auto cert = parsePem(leaf->certificatePem);
    int critical = -1;
    const auto sans = subjectAltNames(cert.get(), &critical);
    ASSERT_EQ(sans.size(), 1u);
    EXPECT_EQ(sans[0].first, GEN_IPADD) << ip;
    EXPECT_EQ(sans[0].second.size(), ip.find(':') == std::string::npos ? 4u : 16u);
    EXPECT_EQ(verifyLeaf(cert.get(), caCert.get(), kNow, ip, NameKind::kIp), X509_V_OK) << ip;
    EXPECT_EQ(verifyLeaf(cert.get(), caCert.get(), kNow,
                         ip.find(':') == std::string::npos ? "127.0.0.2" : "::2", NameKind::kIp),
              X509_V_ERR_IP_ADDRESS_MISMATCH)
        << ip;
    // An IP leaf never matches as a DNS name.
    EXPECT_EQ(verifyLeaf(cert.get(), caCert.get(), kNow, ip, NameKind::kHost),
              X509_V_ERR_HOSTNAME_MISMATCH)
        << ip;
  }
}

TEST(EdgeCa, AHostTooLongForACommonNameGetsACriticalSubjectAltName) {
  const auto ca = makeCa();
  const std::string host = std::string(60, 'a') + "." + std::string(60, 'b') + ".example";
  auto leaf = ca.issueLeaf(host, kNow);
  ASSERT_TRUE(leaf.ok()) << leaf.error().describe();
  const auto cert = parsePem(leaf->certificatePem);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(cert.get())), 0);
  int critical = -1;
  ASSERT_EQ(subjectAltNames(cert.get(), &critical).size(), 1u);
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(verifyLeaf(cert.get(), parsePem(ca.certificatePem()).get(), kNow, host), X509_V_OK);
}

TEST(EdgeCa, LeafNeverOutlivesTheCa) {
  const auto ca = makeCa(2h);
  auto leaf = ca.issueLeaf("short.example", kNow, 24h);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(leaf->notAfter, kNow + 2h);
  EXPECT_EQ(toSystem(X509_get0_notAfter(parsePem(leaf->certificatePem).get())), kNow + 2h);

  auto expired = ca.issueLeaf("short.example", kNow + 3h);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kCryptoFailure);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
}

TEST(EdgeCa, RefusesHostsItCannotIssueFor) {
  const auto ca = makeCa();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"*.example.com", "wildcard"},
      {"api.*.com", "wildcard"},
      {"*", "wildcard"},
      {"exa mple.com", "space"},
      {std::string("a\0b.com", 7), "control"},
      {std::string("127.0.0.1\0.evil", 15), "control"},
      {"caf\xc3\xa9.example", "non-ASCII"},
      {"a..b", "empty label"},
      {".example.com", "empty label"},
      {"example.com.", "empty label"},
      {"ex!ample.com", "character"},
      {"host:443", "IPv6"},
      {"[::1]", "IPv6"},
      {"fe80::1%eth0", "IPv6"},
      {std::string(64, 'a') + ".com", "label"},
      {std::string(250, 'a').replace(63, 1, ".").replace(127, 1, ".").replace(191, 1, ".") + ".com",
       "longer than 253"},
      {"1.2.3", "numeric"},
      {"127.1", "numeric"},
      {"0x7f.0.0.1", "numeric"},
      {"01.2.3.4", "numeric"},
      {"256.1.1.1", "numeric"},
  };
  for (const auto& [host, why] : cases) {
    auto leaf = ca.issueLeaf(host, kNow);
    ASSERT_FALSE(leaf.ok()) << host;
    EXPECT_EQ(leaf.error().code, ErrorCode::kInvalidArgument) << host;
    EXPECT_NE(leaf.error().message.find(why), std::string::npos)
        << host << " -> " << leaf.error().message;
  }
  EXPECT_EQ(ca.issueLeaf("ok.example", kNow, 0s).error().code, ErrorCode::kInvalidArgument);
  // Names that are fine: underscores, hyphens, a single label, 253 bytes exactly.
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                        std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(longest.size(), 253u);
  for (const std::string& host :
       std::vector<std::string>{"my_service.internal", "x-1.example", "localhost", longest}) {
    EXPECT_TRUE(ca.issueLeaf(host, kNow).ok()) << host;
  }
}

TEST(EdgeCa, SaveThenLoadRoundTrips) {
  TempDir dir;
  const auto ca = makeCa();
  const auto certFile = dir.file("ca.pem");
  const auto keyFile = dir.file("ca.key");
  ASSERT_TRUE(ca.saveFiles(certFile, keyFile).ok());

  struct stat st {};
  ASSERT_EQ(stat(keyFile.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(certFile.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);

  auto loaded = EdgeCa::loadFiles(certFile, keyFile);
  ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
  EXPECT_EQ(loaded->fingerprintSha256(), ca.fingerprintSha256());
  EXPECT_EQ(loaded->certificatePem(), ca.certificatePem());
  EXPECT_EQ(loaded->notAfter(), ca.notAfter());
  // The loaded key signs leaves that the original certificate verifies.
  auto leaf = loaded->issueLeaf("roundtrip.example", kNow);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(verifyLeaf(parsePem(leaf->certificatePem).get(), parsePem(ca.certificatePem()).get(),
                       kNow, "roundtrip.example"),
            X509_V_OK);

  // Saving again replaces both files and leaves no temporary file behind.
  const auto second = makeCa();
  ASSERT_TRUE(second.saveFiles(certFile, keyFile).ok());
  EXPECT_EQ(EdgeCa::loadFiles(certFile, keyFile)->fingerprintSha256(), second.fingerprintSha256());
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  EXPECT_EQ(files, 2u);
}

TEST(EdgeCa, SaveReportsAnUnwritableDirectory) {
  const auto ca = makeCa();
  auto saved = ca.saveFiles("/nonexistent-dir/ca.pem", "/nonexistent-dir/ca.key");
  ASSERT_FALSE(saved.ok());
  EXPECT_NE(saved.error().message.find("/nonexistent-dir/ca.key"), std::string::npos);
}

TEST(EdgeCa, LoadNamesTheFileAndTheReason) {
  TempDir dir;
  const auto ca = makeCa();
  const auto certFile = dir.file("ca.pem");
  const auto keyFile = dir.file("ca.key");
  ASSERT_TRUE(ca.saveFiles(certFile, keyFile).ok());

  const auto expectFailure = [](const std::string& cert, const std::string& key,
                                const std::string& file, const std::string& why) {
    auto loaded = EdgeCa::loadFiles(cert, key);
    ASSERT_FALSE(loaded.ok()) << why;
    EXPECT_EQ(loaded.error().code, ErrorCode::kCryptoFailure);
    EXPECT_NE(loaded.error().message.find(file), std::string::npos) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(why), std::string::npos) << loaded.error().message;
  };

  expectFailure(dir.file("missing.pem"), keyFile, dir.file("missing.pem"), "cannot read");
  expectFailure(certFile, dir.file("missing.key"), dir.file("missing.key"), "cannot read");

  writeText(dir.file("garbage.pem"), "hello\n");
  expectFailure(dir.file("garbage.pem"), keyFile, dir.file("garbage.pem"), "not a PEM certificate");
  expectFailure(certFile, dir.file("garbage.pem"), dir.file("garbage.pem"),
                "not an unencrypted PEM private key");

  // A certificate without CA:TRUE (a leaf) is not a CA, even with its own key.
  auto leaf = ca.issueLeaf("leaf.example", kNow);
  writeText(dir.file("leaf.pem"), leaf->certificatePem);
  writeText(dir.file("leaf.key"), leaf->privateKeyPem);
  expectFailure(dir.file("leaf.pem"), dir.file("leaf.key"), dir.file("leaf.pem"), "not a CA");

  // A bundle is refused rather than half-used.
  writeText(dir.file("bundle.pem"), ca.certificatePem() + makeCa().certificatePem());
  expectFailure(dir.file("bundle.pem"), keyFile, dir.file("bundle.pem"), "exactly one");

  // Another CA's key.
  const auto other = makeCa();
  ASSERT_TRUE(other.saveFiles(dir.file("other.pem"), dir.file("other.key")).ok());
  expectFailure(certFile, dir.file("other.key"), dir.file("other.key"), "does not match");

  // An encrypted key fails (and never prompts for a passphrase).
  BioPtr bio(BIO_new(BIO_s_mem()));
  std::ifstream keyIn(keyFile);
  const std::string keyPem((std::istreambuf_iterator<char>(keyIn)), {});
  BioPtr keyBio(BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(key);
  char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), pass, 6, nullptr,
                                          nullptr),
            1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  writeText(dir.file("encrypted.key"), std::string(data, static_cast<std::size_t>(n)));
  expectFailure(certFile, dir.file("encrypted.key"), dir.file("encrypted.key"),
                "not an unencrypted PEM private key");
}

TEST(EdgeCa, LoadsAnOperatorsRsaCaAndIssuesVerifiableLeaves) {
  // An operator's CA: RSA, no pathlen, made by the test PKI (SKI present, valid around now).
  const auto now = std::chrono::system_clock::now();
  testpki::CertificateOptions options;
  options.commonName = "Operator CA";
  options.notBefore = now - 1h;
  options.notAfter = now + 48h;
  options.ca = true;
  const auto rsaCa = testpki::makeCertificate(options);
  TempDir dir;
  writeText(dir.file("op.pem"), rsaCa.pem());
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(
      PEM_write_bio_PrivateKey(bio.get(), rsaCa.key.get(), nullptr, nullptr, 0, nullptr, nullptr),
      1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  writeText(dir.file("op.key"), std::string(data, static_cast<std::size_t>(n)));

  auto loaded = EdgeCa::loadFiles(dir.file("op.pem"), dir.file("op.key"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
  auto leaf = loaded->issueLeaf("svc.example", now);
  ASSERT_TRUE(leaf.ok()) << leaf.error().describe();
  const auto cert = parsePem(leaf->certificatePem);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_sha256WithRSAEncryption);
  EXPECT_EQ(verifyLeaf(cert.get(), rsaCa.certificate.get(), now, "svc.example"), X509_V_OK);

  // A certificate from the test PKI without CA:TRUE is refused.
  options.ca = false;
  const auto notCa = testpki::makeCertificate(options);
  writeText(dir.file("notca.pem"), notCa.pem());
  auto refused = EdgeCa::loadFiles(dir.file("notca.pem"), dir.file("op.key"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not a CA"), std::string::npos);
}

TEST(EdgeCa, OpenSslCommandLineAcceptsTheLeaf) {
  // The same check as X509_verify_cert, through the tool operators use, with strict RFC 5280
  // conformance and the TLS server purpose.
  if (std::system("openssl version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no openssl command";
  }
  const auto now = std::chrono::system_clock::now();
  auto ca = EdgeCa::createSelfSigned("Tessera edge CA cli", 24h, now);
  ASSERT_TRUE(ca.ok());
  auto leaf = ca->issueLeaf("cli.example", now);
  ASSERT_TRUE(leaf.ok());
  TempDir dir;
  writeText(dir.file("ca.pem"), ca->certificatePem());
  writeText(dir.file("leaf.pem"), leaf->certificatePem);
  const auto verify = [&](const std::string& host) {
    const std::string command = "openssl verify -x509_strict -purpose sslserver -CAfile " +
                                dir.file("ca.pem") + " -verify_hostname " + host + " " +
                                dir.file("leaf.pem") + " >/dev/null 2>&1";
    return std::system(command.c_str());
  };
  EXPECT_EQ(verify("cli.example"), 0);
  EXPECT_NE(verify("other.example"), 0);
}

}  // namespace
}  // namespace tessera::crypto
