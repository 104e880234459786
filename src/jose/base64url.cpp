#include "jose/base64url.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

#include "crypto/digest.hpp"

namespace tessera::jose {
namespace {

constexpr std::array<std::int8_t, 256> makeDecodeTable() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) {
    v = -1;
  }
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}

constexpr auto kDecode = makeDecodeTable();

// kShifted[i][c]: the 6 bits of character c placed for position i of a 4-character group, or
// kBad for a character outside the alphabet; one OR per character and one test per group.
constexpr std::uint32_t kBad = 0x01000000u;
constexpr std::array<std::array<std::uint32_t, 256>, 4> makeShiftedTables() {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  for (int pos = 0; pos < 4; ++pos) {
    for (int c = 0; c < 256; ++c) {
      const int v = kDecode[static_cast<std::size_t>(c)];
      t[static_cast<std::size_t>(pos)][static_cast<std::size_t>(c)] =
          v < 0 ? kBad : static_cast<std::uint32_t>(v) << (18 - 6 * pos);
    }
  }
  return t;
}
constexpr auto kShifted = makeShiftedTables();

Error badCharacter(std::string_view text, std::size_t offset) {
  const auto c = static_cast<unsigned char>(text[offset]);
  char shown[16];
  if (c >= 0x21 && c < 0x7f) {
    std::snprintf(shown, sizeof shown, "'%c'", static_cast<char>(c));
  } else {
    std::snprintf(shown, sizeof shown, "0x%02x", c);
  }
  std::string msg = "base64url: character ";
  msg += shown;
  msg += " at offset " + std::to_string(offset) + " is not in the URL-safe alphabet";
  if (c == '=') {
    msg += " (padding is not allowed)";
  } else if (c == '+' || c == '/') {
    msg += " (standard base64, not base64url)";
  }
  return makeError(ErrorCode::kBase64Invalid, std::move(msg));
}

}  // namespace

std::string base64UrlEncode(std::span<const unsigned char> bytes) {
  return crypto::base64UrlEncodeBytes(bytes);
}

std::string base64UrlEncode(std::string_view bytes) {
  return crypto::base64UrlEncodeBytes(
      std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

Result<void> base64UrlDecodeInto(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 == 1) {
    return fail(ErrorCode::kBase64Invalid, "base64url: length " + std::to_string(text.size()) +
                                               " is impossible (length % 4 == 1)");
  }
  out.resize(base64UrlDecodedSize(text.size()));
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* dst = out.data();
  const std::size_t full = text.size() / 4 * 4;
  std::size_t i = 0;
  for (; i < full; i += 4) {
    const std::uint32_t v = kShifted[0][in[i]] | kShifted[1][in[i + 1]] | kShifted[2][in[i + 2]] |
                            kShifted[3][in[i + 3]];
    if (v >= kBad) {
      for (std::size_t k = i;; ++k) {
        if (kDecode[in[k]] < 0) {
          out.clear();
          return badCharacter(text, k);
        }
      }
    }
    *dst++ = static_cast<char>(v >> 16);
    *dst++ = static_cast<char>((v >> 8) & 0xff);
    *dst++ = static_cast<char>(v & 0xff);
  }
  const std::size_t rest = text.size() - full;
  if (rest == 0) {
    return {};
  }
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < rest; ++k) {
    const int x = kDecode[in[i + k]];
    if (x < 0) {
      out.clear();
      return badCharacter(text, i + k);
    }
    v |= static_cast<std::uint32_t>(x) << (18 - 6 * k);
  }
  // rest == 2 carries 12 bits for 1 byte (4 spare), rest == 3 carries 18 bits for 2 bytes (2
  // spare).
  const std::uint32_t spare = rest == 2 ? 0x00ffffu : 0x0000ffu;
  if ((v & spare) != 0) {
    out.clear();
    return fail(ErrorCode::kBase64Invalid,
                "base64url: non-canonical encoding (non-zero trailing bits in the last character, "
                "offset " +
                    std::to_string(text.size() - 1) + ")");
  }
  *dst++ = static_cast<char>(v >> 16);
  if (rest == 3) {
    *dst++ = static_cast<char>((v >> 8) & 0xff);
  }
  return {};
}

Result<std::string> base64UrlDecode(std::string_view text) {
  std::string out;
  auto r = base64UrlDecodeInto(text, out);
  if (!r) {
    return std::move(r).error();
  }
  return out;
}

}  // namespace tessera::jose
