// UTF-8 validation for the JSON reader (jose's strict scanner) and writer (JsonWriter), which must
// agree on what text is: one definition, RFC 3629.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera {

// The length (2-4) of the valid multi-byte UTF-8 sequence at the start of `s`, or 0 if there is
// none: RFC 3629 (no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF). ASCII bytes
// are not sequences here (0); callers handle them first.
constexpr std::size_t utf8SequenceLength(std::string_view s) noexcept {
  if (s.empty()) {
    return 0;
  }
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t length = 0;
  unsigned char low = 0x80;  // the range of the second byte, narrowed by the first
  unsigned char high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    low = b0 == 0xE0 ? 0xA0 : 0x80;
    high = b0 == 0xED ? 0x9F : 0xBF;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    low = b0 == 0xF0 ? 0x90 : 0x80;
    high = b0 == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (s.size() < length) {
    return 0;
  }
  const auto b1 = static_cast<unsigned char>(s[1]);
  if (b1 < low || b1 > high) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80 || b > 0xBF) {
      return 0;
    }
  }
  return length;
}

}  // namespace tessera
