#include "common/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

namespace tessera {
namespace {

// An independent reading of RFC 3629: the length from the lead byte's high bits, continuation
// bytes 10xxxxxx, then the decoded code point must need that length (no overlong form), must not
// be a surrogate and must be at most U+10FFFF.
std::size_t referenceLength(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t length = 0;
  std::uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < length) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  const std::uint32_t minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  if (cp < minimum || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    return 0;
  }
  return length;
}

// Every three-byte prefix, followed by a continuation byte and by an ASCII byte, and each of those
// cut short: the function and the reference agree on all of them.
TEST(Utf8, SequenceLengthAgreesWithTheRfc3629ReferenceOnEveryPrefix) {
  char bytes[4];
  std::size_t twoByte = 0;
  std::size_t threeByte = 0;
  for (int b0 = 0x80; b0 <= 0xFF; ++b0) {
    for (int b1 = 0; b1 <= 0xFF; ++b1) {
      for (int b2 = 0; b2 <= 0xFF; ++b2) {
        for (const char b3 : {'\x80', '\xBF', 'a'}) {
          bytes[0] = static_cast<char>(b0);
          bytes[1] = static_cast<char>(b1);
          bytes[2] = static_cast<char>(b2);
          bytes[3] = b3;
          for (std::size_t cut = 1; cut <= 4; ++cut) {
            const std::string_view prefix(bytes, cut);
            const std::size_t expected = referenceLength(prefix);
            if (utf8SequenceLength(prefix) != expected) {
              FAIL() << std::hex << b0 << ' ' << b1 << ' ' << b2 << ' ' << int(b3) << " cut " << cut
                     << ": expected " << expected;
            }
            const bool counted = b3 == '\x80' && expected == cut;
            twoByte += counted && cut == 2 && b2 == 0 ? 1 : 0;
            threeByte += counted && cut == 3 ? 1 : 0;
          }
        }
      }
    }
  }
  // U+0080..U+07FF, and U+0800..U+FFFF without the 2,048 surrogates.
  EXPECT_EQ(twoByte, 1920u);
  EXPECT_EQ(threeByte, 61440u);
}

TEST(Utf8, KnownSequences) {
  EXPECT_EQ(utf8SequenceLength("\xC3\xA9"), 2u);          // é
  EXPECT_EQ(utf8SequenceLength("\xE2\x82\xAC"), 3u);      // €
  EXPECT_EQ(utf8SequenceLength("\xF0\x9F\x98\x80"), 4u);  // U+1F600
  EXPECT_EQ(utf8SequenceLength("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(utf8SequenceLength("\xED\xA0\x80"), 0u);      // surrogate U+D800
  EXPECT_EQ(utf8SequenceLength("\xF4\x90\x80\x80"), 0u);  // U+110000
  EXPECT_EQ(utf8SequenceLength("a"), 0u);                 // ASCII is not a sequence
  EXPECT_EQ(utf8SequenceLength(""), 0u);
  EXPECT_EQ(utf8SequenceLength("\xE2\x82"), 0u);  // cut short
}

}  // namespace
}  // namespace tessera
