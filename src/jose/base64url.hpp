// Base64url (RFC 4648 section 5) as JOSE uses it: unpadded, URL-safe alphabet. The decoder is
// strict and canonical so that one byte string has exactly one accepted text. Used by jwk, jws,
// jwt and by anything that reads JOSE members.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tessera::jose {

std::string base64UrlEncode(std::string_view bytes);
std::string base64UrlEncode(std::span<const unsigned char> bytes);

// Strict decode: rejects padding ('='), any character outside A-Z a-z 0-9 '-' '_', a length with
// length % 4 == 1, and non-zero trailing bits (non-canonical text). Errors: kBase64Invalid; the
// message names the offset and the rule broken, never the input.
Result<std::string> base64UrlDecode(std::string_view text);

// Same, decoding into `out` (replaced); lets hot paths reuse a buffer.
Result<void> base64UrlDecodeInto(std::string_view text, std::string& out);

// The decoded size of a valid text of this length.
constexpr std::size_t base64UrlDecodedSize(std::size_t textSize) noexcept {
  return textSize / 4 * 3 + (textSize % 4 == 0 ? 0 : textSize % 4 - 1);
}

}  // namespace tessera::jose
