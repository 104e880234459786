#include "jose/base64url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::jose {
namespace {

TEST(Base64Url, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64UrlEncode(std::string_view("")), "");
  EXPECT_EQ(base64UrlEncode(std::string_view("f")), "Zg");
  EXPECT_EQ(base64UrlEncode(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64UrlEncode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64UrlEncode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64UrlEncode(std::string_view("\xfb\xff", 2)), "-_8");
}

TEST(Base64Url, DecodesRfc4648Vectors) {
  for (std::string_view plain : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto decoded = base64UrlDecode(base64UrlEncode(plain));
    ASSERT_TRUE(decoded.ok()) << plain;
    EXPECT_EQ(*decoded, plain);
  }
  auto d = base64UrlDecode("-_8");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, std::string("\xfb\xff", 2));
}

TEST(Base64Url, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const auto text = base64UrlEncode(std::string_view(all).substr(0, len));
    EXPECT_EQ(text.size(), (len * 4 + 2) / 3);
    EXPECT_EQ(base64UrlDecodedSize(text.size()), len);
    auto back = base64UrlDecode(text);
    ASSERT_TRUE(back.ok()) << len;
    EXPECT_EQ(*back, all.substr(0, len));
  }
}

TEST(Base64Url, RejectsPadding) {
  auto r = base64UrlDecode("Zg==");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBase64Invalid);
  EXPECT_NE(r.error().message.find("padding"), std::string::npos) << r.error().message;
  EXPECT_FALSE(base64UrlDecode("Zm8=").ok());
}

TEST(Base64Url, RejectsStandardAlphabetAndOtherCharacters) {
  for (std::string_view bad : {"ab+c", "ab/c", "ab c", "ab\nc", "ab.c", "ab\x80z", "abc!"}) {
    auto r = base64UrlDecode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBase64Invalid);
  }
  auto r = base64UrlDecode("ab+c");
  EXPECT_NE(r.error().message.find("offset 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("standard base64"), std::string::npos);
  EXPECT_FALSE(base64UrlDecode(std::string_view("ab\0c", 4)).ok());
}

TEST(Base64Url, RejectsImpossibleLength) {
  for (std::string_view bad : {"A", "AAAAA", "Zm9vY"}) {
    auto r = base64UrlDecode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBase64Invalid);
    EXPECT_NE(r.error().message.find("length"), std::string::npos);
  }
}

TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
  // "Zg" is canonical for "f"; "Zh".."Zv" carry non-zero trailing bits and decode to "f" too.
  EXPECT_TRUE(base64UrlDecode("Zg").ok());
  for (std::string_view bad : {"Zh", "Zi", "Zv", "Zm9", "Zm8"}) {
    auto r = base64UrlDecode(bad);
    if (bad == "Zm8") {
      EXPECT_TRUE(r.ok());
      continue;
    }
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBase64Invalid);
    EXPECT_NE(r.error().message.find("non-canonical"), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(base64UrlDecode("Zm9").ok());  // "fo" is "Zm8"
  EXPECT_FALSE(base64UrlDecode("-_9").ok());  // "\xfb\xff" is "-_8"
}

TEST(Base64Url, DecodeIntoReusesTheBufferAndClearsItOnError) {
  std::string buf = "stale";
  ASSERT_TRUE(base64UrlDecodeInto("Zm9v", buf).ok());
  EXPECT_EQ(buf, "foo");
  EXPECT_FALSE(base64UrlDecodeInto("Zm9v=", buf).ok());
  EXPECT_TRUE(buf.empty());
}

TEST(Base64Url, ErrorMessagesDoNotEchoTheInput) {
  auto r = base64UrlDecode("c2VjcmV0LXNlY3JldA=");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("c2VjcmV0"), std::string::npos);
}

}  // namespace
}  // namespace tessera::jose
