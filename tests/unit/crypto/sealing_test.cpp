#include "crypto/sealing.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace tessera::crypto {
namespace {

TEST(Sealing, RoundTrip) {
  const auto kek = KeyEncryptionKey::generate();
  auto sealed = seal(kek, "private key material", "signing-key:k1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("private"), std::string::npos);
  EXPECT_EQ(sealed->rfind("tsl1." + kek.id() + ".", 0), 0u);
  auto opened = unseal(kek, *sealed, "signing-key:k1");
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  EXPECT_EQ(*opened, "private key material");
}

TEST(Sealing, NonceIsFreshEachTime) {
  const auto kek = KeyEncryptionKey::generate();
  EXPECT_NE(*seal(kek, "x", "a"), *seal(kek, "x", "a"));
}

TEST(Sealing, WrongAadFails) {
  const auto kek = KeyEncryptionKey::generate();
  auto sealed = seal(kek, "secret", "signing-key:k1");
  auto opened = unseal(kek, *sealed, "signing-key:k2");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kSealInvalid);
  EXPECT_EQ(opened.error().message.find("secret"), std::string::npos);
}

TEST(Sealing, TamperedFails) {
  const auto kek = KeyEncryptionKey::generate();
  std::string sealed = *seal(kek, "secret", "a");
  sealed[sealed.size() - 5] = sealed[sealed.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(unseal(kek, sealed, "a").error().code, ErrorCode::kSealInvalid);
  EXPECT_EQ(unseal(kek, "tsl1.garbage", "a").error().code, ErrorCode::kSealInvalid);
  EXPECT_EQ(unseal(kek, "", "a").error().code, ErrorCode::kSealInvalid);
}

TEST(Sealing, OtherKekIsNamed) {
  const auto a = KeyEncryptionKey::generate();
  const auto b = KeyEncryptionKey::generate();
  auto opened = unseal(b, *seal(a, "secret", "x"), "x");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find(a.id()), std::string::npos);
}

TEST(KeyEncryptionKey, TextForms) {
  const auto kek = KeyEncryptionKey::generate();
  auto again = KeyEncryptionKey::fromText(kek.toText() + "\n", "test");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id(), kek.id());
  auto hex = KeyEncryptionKey::fromText(std::string(64, 'a'), "test");
  ASSERT_TRUE(hex.ok());
  auto shortKey = KeyEncryptionKey::fromText("c2hvcnQ", "test");
  ASSERT_FALSE(shortKey.ok());
  EXPECT_NE(shortKey.error().message.find("32 bytes"), std::string::npos);
}

TEST(KeyEncryptionKey, FileMustBePrivate) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tessera-kek-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "kek";
  {
    std::ofstream out(path);
    out << KeyEncryptionKey::generate().toText();
  }
  ::chmod(path.c_str(), 0644);
  auto loose = KeyEncryptionKey::fromFile(path);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos);
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(KeyEncryptionKey::fromFile(path).ok());
  {
    std::ofstream out(path, std::ios::trunc);
    out << std::string(5000, 'A');
  }
  auto large = KeyEncryptionKey::fromFile(path);
  ASSERT_FALSE(large.ok());
  EXPECT_NE(large.error().message.find("larger than 4 KiB"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(KeyEncryptionKey, FromEnv) {
  ::setenv("TESSERA_TEST_KEK", KeyEncryptionKey::generate().toText().c_str(), 1);
  EXPECT_TRUE(KeyEncryptionKey::fromEnv("TESSERA_TEST_KEK").ok());
  ::unsetenv("TESSERA_TEST_KEK");
  EXPECT_FALSE(KeyEncryptionKey::fromEnv("TESSERA_TEST_KEK").ok());
}

}  // namespace
}  // namespace tessera::crypto
