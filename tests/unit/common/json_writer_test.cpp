#include "common/json_writer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace tessera {
namespace {

std::string jsonQuoted(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

TEST(JsonWriter, EscapesStringsExactlyLikeNlohmannDump) {
  for (const std::string& s :
       {std::string(""), std::string("plain"), std::string("quote \" and backslash \\"),
        std::string("\b\f\n\r\t"), std::string("\x01\x1f\x7f", 3), std::string("nul \0 inside", 13),
        std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"), std::string("/slash")}) {
    EXPECT_EQ(jsonQuoted(s), nlohmann::json(s).dump()) << s;
  }
}

TEST(JsonWriter, FindsACharacterToEscapeAtEveryOffsetOfALongRun) {
  // Runs are tested eight bytes at a time: each special character at each offset, including
  // the bytes closest to the word tests (0x1f, 0x20, 0x21, 0x7f, 0x80) and a multi-byte one.
  for (const std::string& special :
       {std::string("\""), std::string("\\"), std::string("\x1f"), std::string(1, '\0'),
        std::string("\n"), std::string(" "), std::string("!"), std::string("\x7f"),
        std::string("\xc2\x80"), std::string("\xe2\x82\xac"), std::string("#"), std::string("]")}) {
    for (std::size_t length = 0; length < 40; ++length) {
      for (std::size_t at = 0; at <= length; ++at) {
        const std::string s = std::string(at, 'a') + special + std::string(length - at, 'Z');
        ASSERT_EQ(jsonQuoted(s), nlohmann::json(s).dump()) << "offset " << at << " of " << length;
      }
    }
  }
  std::mt19937 random(11);
  const std::string alphabet =
      std::string("abcXYZ019-_.~ !#$%&'()*+,/:;<=>?@[]^`{|}\x7f\"\\\n\t\x01") + "\xc3\xa9";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const auto n = random() % 70;
    for (unsigned k = 0; k < n; ++k) {
      const auto c = alphabet[random() % (alphabet.size() - 2)];
      s += (random() % 16 == 0) ? std::string("\xc3\xa9") : std::string(1, c);
    }
    ASSERT_EQ(jsonQuoted(s), nlohmann::json(s).dump()) << s;
  }
}

TEST(JsonWriter, ReplacesBytesThatAreNotUtf8) {
  // A lone continuation byte, a truncated sequence, an overlong form, a surrogate, > U+10FFFF.
  EXPECT_EQ(jsonQuoted("a\x80z"), "\"a\\ufffdz\"");
  EXPECT_EQ(jsonQuoted("a\xe2\x82"), "\"a\\ufffd\\ufffd\"");
  EXPECT_EQ(jsonQuoted("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(jsonQuoted("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(jsonQuoted("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
  // Whatever the bytes, the result parses and valid text survives unchanged.
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(static_cast<std::size_t>(random() % 24), '\0');
    for (auto& c : s) {
      c = static_cast<char>(random() % 256);
    }
    const auto parsed = nlohmann::json::parse(jsonQuoted(s), nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << jsonQuoted(s);
    ASSERT_TRUE(parsed.is_string());
    bool valid = true;
    try {
      (void)nlohmann::json(s).dump();  // throws for text that is not UTF-8
    } catch (const nlohmann::json::type_error&) {
      valid = false;
    }
    if (valid) {
      EXPECT_EQ(parsed.get<std::string>(), s);
    } else {
      EXPECT_NE(jsonQuoted(s).find("\\ufffd"), std::string::npos) << jsonQuoted(s);
    }
  }
}

TEST(JsonWriter, WritesNestedObjectsAndArraysWithSeparators) {
  std::string out;
  JsonWriter w(out);
  w.beginObject()
      .member("outcome", "authorized")
      .member("port", 443)
      .member("passed", true)
      .key("none")
      .null()
      .key("big")
      .value(std::numeric_limits<std::uint64_t>::max())
      .key("negative")
      .value(std::int64_t{-12})
      .key("list")
      .beginArray()
      .value("a")
      .beginObject()
      .endObject()
      .beginArray()
      .endArray()
      .raw(R"({"x":[1,2]})")
      .endArray()
      .key("empty")
      .beginObject()
      .endObject()
      .endObject();
  EXPECT_EQ(out, R"({"outcome":"authorized","port":443,"passed":true,"none":null,)"
                 R"("big":18446744073709551615,"negative":-12,"list":["a",{},[],{"x":[1,2]}],)"
                 R"("empty":{}})");
  EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
}

TEST(JsonWriter, RawMembersTakeTheirPlaceAmongOthers) {
  std::string out;
  JsonWriter(out)
      .beginObject()
      .rawMembers(R"("a":1,"b":[2])")
      .member("c", 3)
      .key("inner")
      .beginObject()
      .member("d", 4)
      .rawMembers(R"("e":"5")")
      .endObject()
      .endObject();
  EXPECT_EQ(out, R"({"a":1,"b":[2],"c":3,"inner":{"d":4,"e":"5"}})");
}

TEST(JsonWriter, AppendsToWhatTheStringHolds) {
  std::string out = "prefix ";
  JsonWriter(out).beginArray().value(false).value(std::string_view("x\ny")).endArray();
  EXPECT_EQ(out, "prefix [false,\"x\\ny\"]");
}

}  // namespace
}  // namespace tessera
