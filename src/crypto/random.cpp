#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "crypto/digest.hpp"
#include "crypto/openssl_ptr.hpp"

namespace tessera::crypto {

std::vector<unsigned char> randomBytes(std::size_t n) {
  std::vector<unsigned char> out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    // The DRBG failing is not an expected condition: nothing secure can continue.
    throw std::runtime_error("RAND_bytes failed: " + takeOpenSslErrors());
  }
  return out;
}

std::string randomToken(std::size_t n) {
  const auto bytes = randomBytes(n);
  return base64UrlEncodeBytes(bytes);
}

}  // namespace tessera::crypto
