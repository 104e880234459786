#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "store/sqlite/sqlite_db.hpp"
#include "store/store.hpp"

namespace tessera::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tessera-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

SigningKeyRecord key(std::string kid, std::string alg, std::int64_t activatesAt) {
  SigningKeyRecord r;
  r.kid = std::move(kid);
  r.algorithm = std::move(alg);
  r.publicJwk = R"({"kty":"EC"})";
  r.sealedPrivateJwk = "tsl1.sealed";
  r.createdAt = activatesAt - 10;
  r.activatesAt = activatesAt;
  return r;
}

TEST_F(SqliteStoreTest, MigratesOnceAndCreatesDirectories) {
  auto first = openSqliteStore(dir_ / "nested" / "hub.db");
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->schemaVersion, 1);
  auto second = openSqliteStore(dir_ / "nested" / "hub.db");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->schemaVersion, 1);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "nested" / "hub.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the store holds sealed keys: owner only";
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  {
    auto store = openSqliteStore(dir_ / "hub.db");
    ASSERT_TRUE(store.ok());
  }
  auto db = SqliteDb::open(dir_ / "hub.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->exec("INSERT INTO schema_migrations VALUES (99, 'future', 0)").ok());
  auto again = openSqliteStore(dir_ / "hub.db");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kStoreMigration);
  EXPECT_NE(again.error().message.find("newer than this binary"), std::string::npos);
}

TEST_F(SqliteStoreTest, RotationRetiresThePreviousKeyAtomically) {
  auto store = openSqliteStore(dir_ / "hub.db");
  ASSERT_TRUE(store.ok());
  auto& keys = *store->signingKeys;
  const auto v0 = *keys.version();
  ASSERT_TRUE(keys.rotate(key("k1", "ES256", 100), std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(keys.rotate(key("k2", "ES256", 200), "k1", 200 + 3600).ok());
  EXPECT_GT(*keys.version(), v0);

  auto published = keys.listPublished(150);
  ASSERT_TRUE(published.ok());
  ASSERT_EQ(published->size(), 2u);
  EXPECT_EQ((*published)[0].kid, "k1");
  EXPECT_EQ((*published)[0].retiresAt, 200);
  EXPECT_EQ((*published)[0].removeAt, 3800);
  EXPECT_FALSE((*published)[1].retiresAt.has_value());

  // After removeAt the retired key is no longer published, and purge deletes it.
  EXPECT_EQ(keys.listPublished(3800)->size(), 1u);
  EXPECT_EQ(*keys.purgeRemoved(3800), 1);
  EXPECT_EQ(*keys.purgeRemoved(3800), 0);
}

TEST_F(SqliteStoreTest, ConcurrentRotationHasOneWinner) {
  auto store = openSqliteStore(dir_ / "hub.db");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->signingKeys->rotate(key("k1", "RS256", 100), std::nullopt, {}).ok());
  // A second process (another hub replica) sharing the file.
  auto other = openSqliteStore(dir_ / "hub.db");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(store->signingKeys->rotate(key("k2", "RS256", 200), "k1", 300).ok());
  auto lost = other->signingKeys->rotate(key("k3", "RS256", 200), "k1", 300);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::kConflict);
  EXPECT_EQ(other->signingKeys->listPublished(150)->size(), 2u);
  // Algorithms rotate independently.
  EXPECT_TRUE(other->signingKeys->rotate(key("e1", "ES256", 100), std::nullopt, {}).ok());
}

TEST_F(SqliteStoreTest, DuplicateKidIsRejected) {
  auto store = openSqliteStore(dir_ / "hub.db");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->signingKeys->rotate(key("k1", "ES256", 100), std::nullopt, {}).ok());
  auto dup = store->signingKeys->rotate(key("k1", "ES256", 200), "k1", 300);
  ASSERT_FALSE(dup.ok());
  // The retirement of k1 was rolled back with the failed insert.
  EXPECT_FALSE(store->signingKeys->listPublished(0)->at(0).retiresAt.has_value());
}

}  // namespace
}  // namespace tessera::store
