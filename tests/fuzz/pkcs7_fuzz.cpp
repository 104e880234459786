// libFuzzer target for the PKCS#7 entry points that read attacker-supplied instance documents:
// the input's first byte picks base64 text (decoded first, as the EC2 and Azure evidence arrives)
// or raw DER; the rest goes to pinned and chained SignedData verification against a certificate
// made at start-up. Nothing may crash or leak; nothing the fuzzer makes can verify (it has no key);
// a base64 text that decodes re-encodes to itself without its line breaks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/pkcs7.hpp"
#include "test_pki.hpp"

namespace {

using namespace tessera;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

const testpki::TestCertificate& pinned() {
  static const testpki::TestCertificate certificate = testpki::makeCertificate(
      {"fuzz.example", {"fuzz.example"}, fromUnixSeconds(0), fromUnixSeconds(4'000'000'000), true});
  return certificate;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string der;
  if (data[0] & 1) {
    auto decoded = crypto::base64Decode(input);
    if (!decoded) {
      return 0;
    }
    std::string compact;
    for (char c : input) {
      if (c != '\r' && c != '\n') {
        compact.push_back(c);
      }
    }
    check(testpki::base64(*decoded) == compact);
    der = std::move(*decoded);
  } else {
    der = std::string(input);
  }
  X509_up_ref(pinned().certificate.get());
  std::vector<crypto::X509Ptr> certs;
  certs.emplace_back(pinned().certificate.get());
  check(!crypto::verifyPinnedSignedData(der, certs).ok());
  check(!crypto::verifyChainedSignedData(der, certs, {}, fromUnixSeconds(1'800'000'000)).ok());
  return 0;
}
