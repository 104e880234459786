#include "crypto/edge_ca.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <fstream>

#include "common/host_name.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"

namespace tessera::crypto {

namespace {

// A CA certificate or key file is a few kilobytes; anything far larger is not one of ours.
constexpr std::size_t kMaxPemFileBytes = 1024 * 1024;
// RFC 5280 ub-common-name: a longer host cannot be the CN, only the subjectAltName.
constexpr std::size_t kMaxCommonNameBytes = 64;
// Leaves start a little in the past so that a client whose clock runs behind still accepts them.
constexpr auto kLeafBackdate = std::chrono::minutes(5);
constexpr auto kCaBackdate = std::chrono::hours(1);

Error cryptoFailure(const std::string& what) {
  const std::string details = takeOpenSslErrors();
  return fail(ErrorCode::kCryptoFailure, what + (details.empty() ? "" : ": " + details));
}

Result<PkeyPtr> generateP256() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    return cryptoFailure("cannot generate an ECDSA P-256 key");
  }
  return key;
}

// 128 random bits as a positive INTEGER (RFC 5280 4.1.2.2: unique, positive, at most 20 octets;
// unpredictable serials are what the CA/Browser Forum asks of every issuer).
Result<void> setRandomSerial(X509* certificate) {
  auto bytes = randomBytes(16);
  bytes[0] |= 0x01;  // never zero, whatever the DRBG gives
  BnPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(certificate)) == nullptr) {
    return cryptoFailure("cannot set a certificate serial number");
  }
  return {};
}

Result<void> setValidity(X509* certificate, SystemTime notBefore, SystemTime notAfter) {
  if (ASN1_TIME_set(X509_getm_notBefore(certificate),
                    static_cast<time_t>(toUnixSeconds(notBefore))) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate),
                    static_cast<time_t>(toUnixSeconds(notAfter))) == nullptr) {
    return cryptoFailure("cannot set a certificate validity");
  }
  return {};
}

// An extension from OpenSSL's configuration syntax; only ever called with constant values, never
// with input (the subjectAltName, which holds the host, is built structurally below).
Result<void> addExtension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (extension == nullptr) {
    return cryptoFailure(std::string("cannot make the certificate extension ") + OBJ_nid2sn(nid));
  }
  const int added = X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  if (added != 1) {
    return cryptoFailure(std::string("cannot add the certificate extension ") + OBJ_nid2sn(nid));
  }
  return {};
}

Result<void> setCommonName(X509_NAME* name, std::string_view commonName) {
  if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(commonName.data()),
                                 static_cast<int>(commonName.size()), -1, 0) != 1) {
    return cryptoFailure("cannot set the certificate common name");
  }
  return {};
}

Result<void> sign(X509* certificate, EVP_PKEY* key) {
  // EdDSA signs the whole message itself and takes no digest; ECDSA and RSA use SHA-256.
  const int type = EVP_PKEY_get_base_id(key);
  const EVP_MD* md = (type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(certificate, key, md) <= 0) {
    return cryptoFailure("cannot sign the certificate");
  }
  return {};
}

SystemTime asn1TimeToSystem(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) {
    ERR_clear_error();
    return SystemTime{};
  }
  return fromUnixSeconds(static_cast<std::int64_t>(timegm(&tm)));
}

Result<std::string> bioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) {
    return cryptoFailure("cannot encode PEM");
  }
  return std::string(data, static_cast<std::size_t>(n));
}

Result<std::string> certificateToPem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return cryptoFailure("cannot encode a certificate as PEM");
  }
  return bioText(bio.get());
}

// PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted: the files are protected by their mode instead.
Result<std::string> keyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return cryptoFailure("cannot encode a private key as PEM");
  }
  return bioText(bio.get());
}

// Never lets OpenSSL prompt on the terminal for a passphrase: an encrypted key simply fails.
int noPassphrase(char*, int, int, void*) {
  return -1;
}

Result<std::string> readFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kCryptoFailure, std::string("cannot read the edge CA ") + what + " " +
                                               path + ": " + std::strerror(errno));
  }
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxPemFileBytes) {
      return fail(ErrorCode::kCryptoFailure, std::string("the edge CA ") + what + " " + path +
                                                 " is larger than " +
                                                 std::to_string(kMaxPemFileBytes) + " bytes");
    }
  }
  if (in.bad()) {
    return fail(ErrorCode::kCryptoFailure,
                std::string("cannot read the edge CA ") + what + " " + path + ": I/O error");
  }
  return text;
}

bool onlyWhitespace(const char* data, long n) {
  return std::all_of(data, data + std::max(n, 0L),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

Result<X509Ptr> parseCaCertificate(const std::string& text, const std::string& file) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    return cryptoFailure("out of memory");
  }
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
  if (!certificate) {
    const std::string details = takeOpenSslErrors();
    return fail(ErrorCode::kCryptoFailure, "the edge CA certificate " + file +
                                               " is not a PEM certificate" +
                                               (details.empty() ? "" : " (" + details + ")"));
  }
  // A bundle (CA + its root) is refused rather than half-used: the leaves' chain would then
  // silently lack the certificates the clients need.
  char* rest = nullptr;
  const long restSize = BIO_get_mem_data(bio.get(), &rest);
  if (restSize > 0 && !onlyWhitespace(rest, restSize)) {
    return fail(ErrorCode::kCryptoFailure,
                "the edge CA certificate " + file + " must hold exactly one PEM certificate");
  }
  // basicConstraints CA:TRUE and, when keyUsage is present, keyCertSign: what every verifier
  // will demand of the issuer of our leaves. X509_check_ca alone also accepts v1 roots.
  const std::uint32_t flags = X509_get_extension_flags(certificate.get());
  const bool isCa = (flags & EXFLAG_CA) != 0;
  const bool canSign =
      (flags & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage(certificate.get()) & KU_KEY_CERT_SIGN);
  ERR_clear_error();
  if (!isCa || !canSign) {
    return fail(ErrorCode::kCryptoFailure,
                "the edge CA certificate " + file +
                    " is not a CA certificate (it needs basicConstraints CA:TRUE" +
                    (isCa ? " and keyUsage keyCertSign)" : ")"));
  }
  return certificate;
}

Result<PkeyPtr> parsePrivateKey(const std::string& text, const std::string& file) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    return cryptoFailure("out of memory");
  }
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr));
  if (!key) {
    const std::string details = takeOpenSslErrors();
    return fail(ErrorCode::kCryptoFailure, "the edge CA key " + file +
                                               " is not an unencrypted PEM private key" +
                                               (details.empty() ? "" : " (" + details + ")"));
  }
  return key;
}

// Writes `text` to `path` through a temporary file in the same directory and a rename, so that a
// reader (or a crash) never sees a half-written certificate or key.
Result<void> writeFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(temp.data());  // created 0600, so the key is never readable by others
  if (fd < 0) {
    return fail(ErrorCode::kIo,
                "cannot create a temporary file beside " + path + ": " + std::strerror(errno));
  }
  const auto failWith = [&](const std::string& what) -> Error {
    const int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return fail(ErrorCode::kIo, what + " " + path + ": " + std::strerror(saved));
  };
  if (::fchmod(fd, mode) != 0) {
    return failWith("cannot set the mode of");
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return failWith("cannot write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    return failWith("cannot sync");
  }
  if (::close(fd) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return fail(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(saved));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return fail(ErrorCode::kIo, "cannot replace " + path + ": " + std::strerror(saved));
  }
  return {};
}

enum class HostKind { kDns, kIpv4, kIpv6 };

struct CheckedHost {
  HostKind kind = HostKind::kDns;
  std::string name;  // lower-case for DNS names
  std::string ipBytes;
};

Error invalidHost(std::string_view why) {
  return fail(ErrorCode::kInvalidArgument,
              "cannot issue an edge leaf certificate: " + std::string(why));
}

Result<CheckedHost> checkHost(std::string_view host) {
  if (host.empty()) {
    return invalidHost("the host is empty");
  }
  if (host.size() > kMaxHostNameBytes) {
    return invalidHost("the host is longer than " + std::to_string(kMaxHostNameBytes) + " bytes");
  }
  if (!std::all_of(host.begin(), host.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
      })) {
    // Also keeps a NUL from cutting the text short when it reaches inet_pton as a C string.
    return invalidHost("the host has a space, control or non-ASCII byte");
  }
  if (host.find('*') != std::string_view::npos) {
    return invalidHost("wildcard hosts are not issued (one leaf per exact host)");
  }
  CheckedHost checked;
  checked.name = std::string(host);
  if (host.find(':') != std::string_view::npos) {
    in6_addr v6{};
    if (inet_pton(AF_INET6, checked.name.c_str(), &v6) != 1) {
      return invalidHost(
          "the host has a ':' but is not an IPv6 address (no brackets, zone or port)");
    }
    checked.kind = HostKind::kIpv6;
    checked.ipBytes.assign(reinterpret_cast<const char*>(&v6), sizeof v6);
    return checked;
  }
  in_addr v4{};
  if (inet_pton(AF_INET, checked.name.c_str(), &v4) == 1) {
    checked.kind = HostKind::kIpv4;
    checked.ipBytes.assign(reinterpret_cast<const char*>(&v4), sizeof v4);
    return checked;
  }
  std::transform(checked.name.begin(), checked.name.end(), checked.name.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  switch (checkHostName(checked.name)) {
    case HostNameFault::kNone:
      break;
    case HostNameFault::kEmptyLabel:
      return invalidHost("the host has an empty label (leading, trailing or double '.')");
    case HostNameFault::kLongLabel:
      return invalidHost("a label of the host is longer than " +
                         std::to_string(kMaxHostLabelBytes) + " bytes");
    case HostNameFault::kBadCharacter:
      return invalidHost("the host has a character other than letters, digits, '-', '_' and '.'");
    case HostNameFault::kNumeric:
      // "127.1" or "1.2.3" is an address to many resolvers and browsers, not a name: refuse the
      // ambiguity rather than issue a dNSName that no client would compare with it.
      return invalidHost("the host looks numeric but is not a dotted-quad IPv4 address");
  }
  return checked;
}

// subjectAltName with exactly one entry, built structurally so that no host byte is ever
// interpreted as OpenSSL configuration syntax.
Result<void> addSubjectAltName(X509* certificate, const CheckedHost& host, bool critical) {
  GENERAL_NAMES* names = GENERAL_NAMES_new();
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_STRING* value = host.kind == HostKind::kDns ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
  const std::string& bytes = host.kind == HostKind::kDns ? host.name : host.ipBytes;
  bool ok = names != nullptr && name != nullptr && value != nullptr &&
            ASN1_STRING_set(value, bytes.data(), static_cast<int>(bytes.size())) == 1;
  if (ok) {
    GENERAL_NAME_set0_value(name, host.kind == HostKind::kDns ? GEN_DNS : GEN_IPADD, value);
    value = nullptr;
    ok = sk_GENERAL_NAME_push(names, name) > 0;
    if (ok) {
      name = nullptr;
      ok = X509_add1_ext_i2d(certificate, NID_subject_alt_name, names, critical ? 1 : 0,
                             X509V3_ADD_DEFAULT) == 1;
    }
  }
  ASN1_STRING_free(value);
  GENERAL_NAME_free(name);
  GENERAL_NAMES_free(names);
  if (!ok) {
    return cryptoFailure("cannot add the subjectAltName");
  }
  return {};
}

}  // namespace

EdgeCa::EdgeCa(X509Ptr certificate, PkeyPtr key)
    : certificate_(std::move(certificate)), key_(std::move(key)) {}

Result<EdgeCa> EdgeCa::createSelfSigned(std::string_view commonName, std::chrono::seconds validity,
                                        SystemTime now) {
  if (commonName.empty() || commonName.size() > kMaxCommonNameBytes) {
    return fail(ErrorCode::kInvalidArgument, "the edge CA common name must be 1 to " +
                                                 std::to_string(kMaxCommonNameBytes) + " bytes");
  }
  if (validity <= std::chrono::seconds(0)) {
    return fail(ErrorCode::kInvalidArgument, "the edge CA validity must be positive");
  }
  TESSERA_DECLARE_OR_RETURN(auto key, generateP256());
  X509Ptr certificate(X509_new());
  if (!certificate) {
    return cryptoFailure("out of memory");
  }
  X509* cert = certificate.get();
  if (X509_set_version(cert, X509_VERSION_3) != 1) {
    return cryptoFailure("cannot set the certificate version");
  }
  TESSERA_RETURN_IF_ERROR(setRandomSerial(cert));
  TESSERA_RETURN_IF_ERROR(setValidity(cert, now - kCaBackdate, now + validity));
  X509_NAME* name = X509_get_subject_name(cert);
  TESSERA_RETURN_IF_ERROR(setCommonName(name, commonName));
  if (X509_set_issuer_name(cert, name) != 1 || X509_set_pubkey(cert, key.get()) != 1) {
    return cryptoFailure("cannot set the CA's names and key");
  }
  // pathlen:0: the edge CA signs leaves only, never another CA.
  TESSERA_RETURN_IF_ERROR(
      addExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  TESSERA_RETURN_IF_ERROR(addExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign"));
  TESSERA_RETURN_IF_ERROR(addExtension(cert, cert, NID_subject_key_identifier, "hash"));
  TESSERA_RETURN_IF_ERROR(sign(cert, key.get()));
  return EdgeCa(std::move(certificate), std::move(key));
}

Result<EdgeCa> EdgeCa::loadFiles(const std::string& certificateFile, const std::string& keyFile) {
  TESSERA_DECLARE_OR_RETURN(const auto certificateText, readFile(certificateFile, "certificate"));
  TESSERA_DECLARE_OR_RETURN(const auto keyText, readFile(keyFile, "key"));
  TESSERA_DECLARE_OR_RETURN(auto certificate, parseCaCertificate(certificateText, certificateFile));
  TESSERA_DECLARE_OR_RETURN(auto key, parsePrivateKey(keyText, keyFile));
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    takeOpenSslErrors();
    return fail(
        ErrorCode::kCryptoFailure,
        "the edge CA key " + keyFile + " does not match the certificate " + certificateFile);
  }
  return EdgeCa(std::move(certificate), std::move(key));
}

Result<void> EdgeCa::saveFiles(const std::string& certificateFile,
                               const std::string& keyFile) const {
  TESSERA_DECLARE_OR_RETURN(const auto certificateText, certificateToPem(certificate_.get()));
  TESSERA_DECLARE_OR_RETURN(const auto keyText, keyToPem(key_.get()));
  // The key first: a crash between the two renames leaves a new key beside the old certificate,
  // which loadFiles refuses loudly, rather than a certificate nobody holds the key of silently.
  TESSERA_RETURN_IF_ERROR(writeFileAtomically(keyFile, keyText, 0600));
  return writeFileAtomically(certificateFile, certificateText, 0644);
}

Result<IssuedLeaf> EdgeCa::issueLeaf(std::string_view host, SystemTime now,
                                     std::chrono::seconds validity) const {
  TESSERA_DECLARE_OR_RETURN(const auto checked, checkHost(host));
  if (validity <= std::chrono::seconds(0)) {
    return fail(ErrorCode::kInvalidArgument, "the leaf validity must be positive");
  }
  const SystemTime caNotAfter = notAfter();
  const SystemTime notBefore = now - kLeafBackdate;
  const SystemTime leafNotAfter =
      std::min(std::chrono::time_point_cast<std::chrono::seconds>(now + validity),
               std::chrono::time_point_cast<std::chrono::seconds>(caNotAfter));
  if (leafNotAfter <= now) {
    return fail(ErrorCode::kCryptoFailure,
                "the edge CA certificate has expired; cannot issue a leaf for " + checked.name);
  }

  TESSERA_DECLARE_OR_RETURN(auto key, generateP256());
  X509Ptr certificate(X509_new());
  if (!certificate) {
    return cryptoFailure("out of memory");
  }
  X509* cert = certificate.get();
  X509* ca = certificate_.get();
  if (X509_set_version(cert, X509_VERSION_3) != 1) {
    return cryptoFailure("cannot set the certificate version");
  }
  TESSERA_RETURN_IF_ERROR(setRandomSerial(cert));
  TESSERA_RETURN_IF_ERROR(setValidity(cert, notBefore, leafNotAfter));
  // The CN repeats the host for old tools that still show it; the subjectAltName is what
  // verifiers check. A host too long for a CN gets an empty subject, and RFC 5280 4.2.1.6 then
  // wants the subjectAltName critical.
  const bool withCommonName = checked.name.size() <= kMaxCommonNameBytes;
  if (withCommonName) {
    TESSERA_RETURN_IF_ERROR(setCommonName(X509_get_subject_name(cert), checked.name));
  }
  if (X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
      X509_set_pubkey(cert, key.get()) != 1) {
    return cryptoFailure("cannot set the leaf's names and key");
  }
  TESSERA_RETURN_IF_ERROR(addExtension(cert, ca, NID_basic_constraints, "critical,CA:FALSE"));
  TESSERA_RETURN_IF_ERROR(addExtension(cert, ca, NID_key_usage, "critical,digitalSignature"));
  TESSERA_RETURN_IF_ERROR(addExtension(cert, ca, NID_ext_key_usage, "serverAuth"));
  TESSERA_RETURN_IF_ERROR(addExtension(cert, ca, NID_subject_key_identifier, "hash"));
  // keyid from the CA's subjectKeyIdentifier; issuer+serial only for an operator's CA without one.
  TESSERA_RETURN_IF_ERROR(addExtension(cert, ca, NID_authority_key_identifier, "keyid,issuer"));
  TESSERA_RETURN_IF_ERROR(addSubjectAltName(cert, checked, !withCommonName));
  TESSERA_RETURN_IF_ERROR(sign(cert, key_.get()));

  IssuedLeaf leaf;
  TESSERA_ASSIGN_OR_RETURN(leaf.certificatePem, certificateToPem(cert));
  TESSERA_DECLARE_OR_RETURN(const auto caPem, certificateToPem(ca));
  leaf.chainPem = leaf.certificatePem + caPem;
  TESSERA_ASSIGN_OR_RETURN(leaf.privateKeyPem, keyToPem(key.get()));
  leaf.notAfter = leafNotAfter;
  return leaf;
}

std::string EdgeCa::certificatePem() const {
  auto pem = certificateToPem(certificate_.get());
  return pem ? std::move(*pem) : std::string();
}

SystemTime EdgeCa::notAfter() const {
  return asn1TimeToSystem(X509_get0_notAfter(certificate_.get()));
}

std::string EdgeCa::fingerprintSha256() const {
  unsigned char* der = nullptr;
  const int n = i2d_X509(certificate_.get(), &der);
  if (n <= 0) {
    takeOpenSslErrors();
    return "";
  }
  const auto digest = sha256(std::span<const unsigned char>(der, static_cast<std::size_t>(n)));
  OPENSSL_free(der);
  return toHex(digest);
}

}  // namespace tessera::crypto
