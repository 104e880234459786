#include "crypto/sealing.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "common/hex_digit.hpp"
#include "crypto/digest.hpp"
#include "crypto/openssl_ptr.hpp"
#include "crypto/random.hpp"

namespace tessera::crypto {

namespace {
constexpr std::string_view kPrefix = "tsl1.";
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

// Lenient base64/base64url decoder for key material typed by operators (padding allowed).
bool decodeBase64Any(std::string_view text, std::vector<unsigned char>& out) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64Value(c);
    if (v < 0) {
      return false;
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((buffer >> bits) & 0xff));
    }
  }
  return true;
}

bool decodeHex(std::string_view text, std::vector<unsigned char>& out) {
  if (text.size() % 2 != 0) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = hexDigitValue(text[i]);
    const int lo = hexDigitValue(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out.push_back(static_cast<unsigned char>(hi * 16 + lo));
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}
}  // namespace

KeyEncryptionKey::KeyEncryptionKey(std::vector<unsigned char> bytes) : bytes_(std::move(bytes)) {
  const auto digest = sha256(std::span<const unsigned char>(bytes_));
  id_ = "kek-" + toHex(std::span(digest).first(6));
}

Result<KeyEncryptionKey> KeyEncryptionKey::fromText(std::string_view text,
                                                    std::string_view origin) {
  text = trim(text);
  std::vector<unsigned char> bytes;
  const bool decoded = text.size() == 64 ? decodeHex(text, bytes) : decodeBase64Any(text, bytes);
  if (!decoded || bytes.size() != kSize) {
    return fail(ErrorCode::kKeyEncryptionKeyInvalid,
                "key-encryption key from " + std::string(origin) +
                    " must be 32 bytes as base64, base64url or hex text (got " +
                    std::to_string(text.size()) + " characters)");
  }
  return KeyEncryptionKey(std::move(bytes));
}

Result<KeyEncryptionKey> KeyEncryptionKey::fromFile(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail(ErrorCode::kKeyEncryptionKeyInvalid,
                "key-encryption key file " + path.string() + " cannot be read");
  }
  if ((st.st_mode & 077) != 0) {
    return fail(ErrorCode::kKeyEncryptionKeyInvalid,
                "key-encryption key file " + path.string() +
                    " is readable by group or others; chmod 600 it");
  }
  if (st.st_size > 4096) {
    return fail(ErrorCode::kKeyEncryptionKeyInvalid,
                "key-encryption key file " + path.string() + " is larger than 4 KiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::string content(4097, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad()) {
    return fail(ErrorCode::kKeyEncryptionKeyInvalid,
                "key-encryption key file " + path.string() + " cannot be read");
  }
  content.resize(static_cast<std::size_t>(in.gcount()));
  return fromText(content, "file " + path.string());
}

Result<KeyEncryptionKey> KeyEncryptionKey::fromEnv(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') {
    return fail(ErrorCode::kKeyEncryptionKeyInvalid,
                std::string("environment variable ") + variable + " is not set");
  }
  return fromText(value, std::string("environment variable ") + variable);
}

KeyEncryptionKey KeyEncryptionKey::generate() {
  return KeyEncryptionKey(randomBytes(kSize));
}

std::string KeyEncryptionKey::toText() const {
  return base64UrlEncodeBytes(bytes_);
}

Result<std::string> seal(const KeyEncryptionKey& kek, std::string_view plaintext,
                         std::string_view aad) {
  const auto nonce = randomBytes(kNonceSize);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::vector<unsigned char> out(kNonceSize + plaintext.size() + kTagSize);
  std::copy(nonce.begin(), nonce.end(), out.begin());
  int len = 0;
  int total = 0;
  const auto* pt = reinterpret_cast<const unsigned char*>(plaintext.data());
  const auto* ad = reinterpret_cast<const unsigned char*>(aad.data());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, kek.bytes().data(), nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, ad, static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data() + kNonceSize, &len, pt,
                        static_cast<int>(plaintext.size())) != 1) {
    return fail(ErrorCode::kCryptoFailure, "sealing failed: " + takeOpenSslErrors());
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonceSize + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          out.data() + kNonceSize + plaintext.size()) != 1) {
    return fail(ErrorCode::kCryptoFailure, "sealing failed: " + takeOpenSslErrors());
  }
  return std::string(kPrefix) + kek.id() + "." + base64UrlEncodeBytes(out);
}

Result<std::string> unseal(const KeyEncryptionKey& kek, std::string_view sealed,
                           std::string_view aad) {
  if (!sealed.starts_with(kPrefix)) {
    return fail(ErrorCode::kSealInvalid, "sealed value has an unknown format");
  }
  sealed.remove_prefix(kPrefix.size());
  const auto dot = sealed.find('.');
  if (dot == std::string_view::npos) {
    return fail(ErrorCode::kSealInvalid, "sealed value has an unknown format");
  }
  const std::string_view kekId = sealed.substr(0, dot);
  if (kekId != kek.id()) {
    return fail(ErrorCode::kSealInvalid, "value was sealed under key-encryption key " +
                                             std::string(kekId) + ", but the hub has " + kek.id());
  }
  std::vector<unsigned char> raw;
  if (!decodeBase64Any(sealed.substr(dot + 1), raw) || raw.size() < kNonceSize + kTagSize) {
    return fail(ErrorCode::kSealInvalid, "sealed value is truncated or not base64url");
  }
  const std::size_t ctLen = raw.size() - kNonceSize - kTagSize;
  std::string plain(ctLen, '\0');
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const auto* ad = reinterpret_cast<const unsigned char*>(aad.data());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, kek.bytes().data(), raw.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, ad, static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        raw.data() + kNonceSize, static_cast<int>(ctLen)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                          raw.data() + kNonceSize + ctLen) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
          1) {
    takeOpenSslErrors();
    return fail(ErrorCode::kSealInvalid,
                "sealed value failed authentication (tampered, or bound to another place)");
  }
  return plain;
}

}  // namespace tessera::crypto
