// Sealing at rest: AES-256-GCM under the hub's key-encryption key (KEK). The hub seals signing
// keys and static secrets with it before they reach the store; only the hub process can unseal.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tessera::crypto {

class KeyEncryptionKey {
 public:
  static constexpr std::size_t kSize = 32;

  // 32 raw bytes, or their base64/base64url (43-44 characters) or hex (64) text form.
  static Result<KeyEncryptionKey> fromText(std::string_view text, std::string_view origin);
  // The file must not be readable by group or others.
  static Result<KeyEncryptionKey> fromFile(const std::filesystem::path& path);
  static Result<KeyEncryptionKey> fromEnv(const char* variable);
  static KeyEncryptionKey generate();

  // Base64url text form, for writing a freshly generated KEK to a file.
  std::string toText() const;
  // Public, stable id of this KEK ("kek-" + fingerprint), recorded with every sealed value so a
  // value sealed under another KEK is recognised as such instead of failing as corrupt.
  const std::string& id() const { return id_; }

  const std::vector<unsigned char>& bytes() const { return bytes_; }

 private:
  explicit KeyEncryptionKey(std::vector<unsigned char> bytes);
  std::vector<unsigned char> bytes_;
  std::string id_;
};

// "tsl1.<kek id>.<base64url(nonce | ciphertext | tag)>". aad binds the value to its place (e.g.
// "signing-key:<kid>") so a sealed value cannot be moved to another row.
Result<std::string> seal(const KeyEncryptionKey& kek, std::string_view plaintext,
                         std::string_view aad);
Result<std::string> unseal(const KeyEncryptionKey& kek, std::string_view sealed,
                           std::string_view aad);

}  // namespace tessera::crypto
