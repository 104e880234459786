// Hashes, constant-time comparison and fingerprints: the small crypto helpers every layer needs.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::crypto {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest sha256(std::string_view data);
Sha256Digest sha256(std::span<const unsigned char> data);
std::string toHex(std::span<const unsigned char> bytes);

// HMAC-SHA256 (RFC 2104) of `data` under `key`: AWS SigV4 derives its signing keys with it.
Sha256Digest hmacSha256(std::span<const unsigned char> key, std::string_view data);

// PBKDF2 with HMAC-SHA256 (RFC 8018), one 32-byte block: SCRAM-SHA-256's SaltedPassword.
Sha256Digest pbkdf2HmacSha256(std::string_view password, std::span<const unsigned char> salt,
                              unsigned iterations);

// MD5 in lowercase hex. Only for protocols that require it (PostgreSQL's md5 password
// authentication); never as a security primitive of Tessera's own.
std::string md5Hex(std::string_view data);

// Constant-time equality for secrets (lengths are not secret).
bool constantTimeEquals(std::string_view a, std::string_view b) noexcept;

// A short, stable, non-reversible name for a secret or token, safe for logs and events:
// "sha256:" + first 12 hex digits of its SHA-256.
std::string fingerprint(std::string_view secret);

// Unpadded base64url of raw bytes (the strict decoder lives in jose).
std::string base64UrlEncodeBytes(std::span<const unsigned char> bytes);
// Standard base64 with '=' padding (RFC 4648 section 4); the decoder is crypto::base64Decode.
std::string base64Encode(std::span<const unsigned char> bytes);

}  // namespace tessera::crypto
