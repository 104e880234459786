#include "hub/admin_tokens.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "scratch_dir.hpp"
#include "store/store.hpp"

namespace tessera::hub {
namespace {

class AdminTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::openSqliteStore(dir_ / "hub.db");
    ASSERT_TRUE(opened.ok());
    store_ = *opened;
    tokens_ = std::make_unique<AdminTokens>(store_.adminTokens, clock_);
  }
  void expectRejected(const std::string& token, const std::string& why) {
    auto r = tokens_->authenticate(token);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated) << why;
    if (token.size() > 8) {
      EXPECT_EQ(r.error().message.find(token), std::string::npos) << "token echoed: " << why;
    }
  }

  testing::ScratchDir scratch_{"admin"};
  const std::filesystem::path dir_ = scratch_.path();
  store::Store store_;
  ManualClock clock_{fromUnixSeconds(1'800'000'000)};
  std::unique_ptr<AdminTokens> tokens_;
};

TEST_F(AdminTokensTest, RolesByName) {
  for (const char* name : {"admin", "editor", "auditor", "edge"}) {
    ASSERT_TRUE(adminRoleFromName(name).has_value()) << name;
    EXPECT_EQ(adminRoleName(*adminRoleFromName(name)), name);
  }
  EXPECT_FALSE(adminRoleFromName("Admin").has_value());
  EXPECT_FALSE(adminRoleFromName("root").has_value());
}

TEST_F(AdminTokensTest, CreatedTokenAuthenticatesWithItsRole) {
  auto issued = tokens_->create(AdminRole::kEditor, "ci pipeline");
  ASSERT_TRUE(issued.ok()) << issued.error().describe();
  EXPECT_EQ(issued->token.rfind("tsa_" + issued->record.id + "_", 0), 0u);
  auto principal = tokens_->authenticate(issued->token);
  ASSERT_TRUE(principal.ok()) << principal.error().describe();
  EXPECT_EQ(principal->role, AdminRole::kEditor);
  EXPECT_EQ(principal->tokenId, issued->record.id);
  EXPECT_EQ(issued->record.createdAt, 1'800'000'000);
}

TEST_F(AdminTokensTest, OnlyAHashOfTheSecretIsStored) {
  auto issued = tokens_->create(AdminRole::kAdmin, "");
  ASSERT_TRUE(issued.ok());
  const std::string secret = issued->token.substr(issued->token.rfind('_') + 1);
  std::ifstream db(dir_ / "hub.db", std::ios::binary);
  std::stringstream bytes;
  bytes << db.rdbuf();
  std::ifstream wal(dir_ / "hub.db-wal", std::ios::binary);
  bytes << wal.rdbuf();
  EXPECT_EQ(bytes.str().find(secret), std::string::npos);
  EXPECT_NE(store_.adminTokens->find(issued->record.id)->value().secretHash, secret);
}

TEST_F(AdminTokensTest, RejectsEverythingElseWithoutEchoingIt) {
  auto issued = tokens_->create(AdminRole::kAdmin, "");
  ASSERT_TRUE(issued.ok());
  std::string flipped = issued->token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  expectRejected(flipped, "wrong secret");
  std::string otherId = issued->token;
  otherId[4] = otherId[4] == '0' ? '1' : '0';
  expectRejected(otherId, "unknown id");
  expectRejected("", "empty");
  expectRejected("tsa_", "prefix only");
  expectRejected(issued->token + "x", "trailing byte");
  expectRejected(issued->token.substr(1), "missing byte");
  expectRejected("Bearer " + issued->token, "scheme included");
  std::string noSeparator = issued->token;
  noSeparator[4 + 16] = '-';
  expectRejected(noSeparator, "bad separator");
}

TEST_F(AdminTokensTest, RevokedTokensStopWorking) {
  auto issued = tokens_->create(AdminRole::kAuditor, "");
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(tokens_->authenticate(issued->token).ok());
  ASSERT_TRUE(tokens_->revoke(issued->record.id).ok());
  auto r = tokens_->authenticate(issued->token);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().message.find("revoked"), std::string::npos);
  EXPECT_EQ(tokens_->revoke("0000000000000000").error().code, ErrorCode::kNotFound);
  ASSERT_EQ(tokens_->list()->size(), 1u);
}

TEST_F(AdminTokensTest, RememberedTokensStillCheckTheSecret) {
  auto issued = tokens_->create(AdminRole::kEditor, "");
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(tokens_->authenticate(issued->token).ok());  // now remembered
  std::string forged = issued->token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  expectRejected(forged, "right id, wrong secret, while the id is remembered");
  auto again = tokens_->authenticate(issued->token);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->role, AdminRole::kEditor);
}

// Another replica (or the CLI) revokes in the store: this hub stops accepting the token once
// its remembered entry expires, within AdminTokens::kAuthenticationCacheTtl.
TEST_F(AdminTokensTest, RevokedElsewhereStopsWorkingWithinTheCacheTtl) {
  auto issued = tokens_->create(AdminRole::kAdmin, "");
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(tokens_->authenticate(issued->token).ok());
  AdminTokens otherReplica(store_.adminTokens, clock_);
  ASSERT_TRUE(otherReplica.revoke(issued->record.id).ok());
  expectRejected(issued->token.substr(0, 4), "sanity");
  const auto deadline = std::chrono::steady_clock::now() + AdminTokens::kAuthenticationCacheTtl +
                        std::chrono::milliseconds(50);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  expectRejected(issued->token, "revoked by another replica, after the cache TTL");
  expectRejected(issued->token, "and on every later request");
}

TEST_F(AdminTokensTest, DescriptionIsBounded) {
  EXPECT_EQ(tokens_->create(AdminRole::kAdmin, std::string(257, 'x')).error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace tessera::hub
