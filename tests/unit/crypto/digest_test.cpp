#include "crypto/digest.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

namespace tessera::crypto {
namespace {

TEST(Digest, Sha256KnownAnswer) {
  const auto d = sha256(std::string_view("abc"));
  EXPECT_EQ(toHex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// FIPS 180-4 examples: the empty message, two blocks, and a million 'a's.
TEST(Digest, Sha256Fips180Vectors) {
  EXPECT_EQ(toHex(sha256(std::string_view(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      toHex(sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(toHex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Every length across the block and padding boundaries agrees with OpenSSL's EVP interface.
TEST(Digest, Sha256AgreesWithEvpAtEveryLengthUpTo300) {
  std::mt19937 random(7);
  std::string data;
  for (std::size_t length = 0; length <= 300; ++length) {
    Sha256Digest expected{};
    unsigned size = 0;
    ASSERT_EQ(EVP_Digest(data.data(), data.size(), expected.data(), &size, EVP_sha256(), nullptr),
              1);
    EXPECT_EQ(sha256(data), expected) << "length " << length;
    data.push_back(static_cast<char>(random()));
  }
}

// RFC 4231 test cases 1 and 2, and a key longer than the block (case 6).
TEST(Digest, HmacSha256Rfc4231) {
  const std::vector<unsigned char> key1(20, 0x0b);
  EXPECT_EQ(toHex(hmacSha256(key1, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const std::string jefe = "Jefe";
  EXPECT_EQ(
      toHex(hmacSha256(std::span(reinterpret_cast<const unsigned char*>(jefe.data()), jefe.size()),
                       "what do ya want for nothing?")),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::vector<unsigned char> key6(131, 0xaa);
  EXPECT_EQ(toHex(hmacSha256(key6, "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// RFC 7914 section 11's PBKDF2-HMAC-SHA256 vector (first 32 bytes), and the 4096-round one
// SCRAM-SHA-256 uses by default.
TEST(Digest, Pbkdf2HmacSha256) {
  const std::string salt = "salt";
  const auto bytes = std::span(reinterpret_cast<const unsigned char*>(salt.data()), salt.size());
  EXPECT_EQ(toHex(pbkdf2HmacSha256("passwd", bytes, 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  EXPECT_EQ(toHex(pbkdf2HmacSha256("password", bytes, 4096)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

TEST(Digest, Md5HexRfc1321) {
  EXPECT_EQ(md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5Hex("The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6");
}

TEST(Digest, Base64EncodeIsRfc4648WithPadding) {
  const auto encode = [](std::string_view text) {
    return base64Encode(
        std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
  };
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encode("\xfb\xff"), "+/8=");
}

TEST(Digest, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(constantTimeEquals("secret", "secrets"));
  EXPECT_TRUE(constantTimeEquals("", ""));
}

TEST(Digest, FingerprintIsShortAndHidesTheSecret) {
  const std::string secret = "eyJhbGciOiJSUzI1NiJ9.payload.signature";
  const auto fp = fingerprint(secret);
  EXPECT_EQ(fp.size(), 7u + 12u);
  EXPECT_EQ(fp.rfind("sha256:", 0), 0u);
  EXPECT_EQ(fp.find("eyJ"), std::string::npos);
  EXPECT_EQ(fp, fingerprint(secret));
}

TEST(Digest, Base64UrlEncodeRfc4648Vectors) {
  auto enc = [](std::string_view s) {
    return base64UrlEncodeBytes(std::vector<unsigned char>(s.begin(), s.end()));
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("f"), "Zg");
  EXPECT_EQ(enc("fo"), "Zm8");
  EXPECT_EQ(enc("foo"), "Zm9v");
  EXPECT_EQ(enc("foob"), "Zm9vYg");
  EXPECT_EQ(enc("fooba"), "Zm9vYmE");
  EXPECT_EQ(enc("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64UrlEncodeBytes(std::vector<unsigned char>{0xfb, 0xff}), "-_8");
}

}  // namespace
}  // namespace tessera::crypto
