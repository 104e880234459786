#include "crypto/digest.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace tessera::crypto {

// OpenSSL's SHA-256 block functions, called directly. The EVP interface would fetch the algorithm
// from a provider, and the first fetch initializes all of libcrypto (configuration file, error
// strings, every algorithm's name): 2 MB more resident memory in an edge that hashes only to
// fingerprint a grant, and each EVP call pays a provider indirection. These functions are marked
// deprecated in OpenSSL 3 in favour of EVP; they are the same implementation (SHA-NI/AVX2 code)
// and carry no state besides the context.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
Sha256Digest sha256(std::span<const unsigned char> data) {
  Sha256Digest out{};
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, data.data(), data.size());
  SHA256_Final(out.data(), &context);
  OPENSSL_cleanse(&context, sizeof(context));
  return out;
}
#pragma GCC diagnostic pop

Sha256Digest sha256(std::string_view data) {
  return sha256(std::span(reinterpret_cast<const unsigned char*>(data.data()), data.size()));
}

std::string toHex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

Sha256Digest hmacSha256(std::span<const unsigned char> key, std::string_view data) {
  Sha256Digest out{};
  unsigned int length = 0;
  // A null key pointer with length 0 is valid HMAC input; OpenSSL wants a non-null pointer.
  static const unsigned char kEmpty = 0;
  HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

Sha256Digest pbkdf2HmacSha256(std::string_view password, std::span<const unsigned char> salt,
                              unsigned iterations) {
  Sha256Digest out{};
  static const unsigned char kEmpty = 0;
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        salt.empty() ? &kEmpty : salt.data(), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(), static_cast<int>(out.size()),
                        out.data()) != 1) {
    throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");  // only on allocation failure
  }
  return out;
}

std::string md5Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(md5) failed");
  }
  return toHex(std::span<const unsigned char>(digest.data(), length));
}

bool constantTimeEquals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string fingerprint(std::string_view secret) {
  const auto digest = sha256(secret);
  return "sha256:" + toHex(std::span(digest).first(6));
}

namespace {
constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64WithAlphabet(std::span<const unsigned char> bytes, const char* alphabet,
                               bool pad) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned v = bytes[i] << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
  }
  if (pad) {
    out.append((4 - out.size() % 4) % 4, '=');
  }
  return out;
}
}  // namespace

std::string base64UrlEncodeBytes(std::span<const unsigned char> bytes) {
  return base64WithAlphabet(bytes, kBase64UrlAlphabet, false);
}

std::string base64Encode(std::span<const unsigned char> bytes) {
  return base64WithAlphabet(bytes, kBase64Alphabet, true);
}

}  // namespace tessera::crypto
