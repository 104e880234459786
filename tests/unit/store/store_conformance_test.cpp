// The same behaviour asked of every store backend: the suite runs against SQLite and against a
// real PostgreSQL 15 server that the test starts itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "postgres_server.hpp"
#include "store/postgres/postgres_db.hpp"
#include "store/store.hpp"

namespace tessera::store {
namespace {

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

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = std::filesystem::temp_directory_path() /
             ("tessera-conf-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(dir_);
    } else {
      conninfo_ = testing::PostgresServer::shared().createDatabase();
    }
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }
  // Another handle on the same store, as a second hub process would open it.
  Store open() {
    auto store =
        GetParam() == "sqlite" ? openSqliteStore(dir_ / "hub.db") : openPostgresStore(conninfo_);
    if (!store) {
      throw std::runtime_error(store.error().describe());  // fails the test, never a null store
    }
    return *store;
  }
  std::filesystem::path dir_;
  std::string conninfo_;
};

TEST_P(StoreConformance, MigratesOnce) {
  EXPECT_EQ(open().schemaVersion, 2);
  EXPECT_EQ(open().schemaVersion, 2);
}

TEST_P(StoreConformance, RotationRetiresThePreviousKeyAtomically) {
  auto store = open();
  auto& keys = *store.signingKeys;
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
  EXPECT_EQ((*published)[0].publicJwk, R"({"kty":"EC"})");
  EXPECT_FALSE((*published)[1].retiresAt.has_value());

  // After removeAt the retired key is no longer published, and purge deletes it.
  EXPECT_EQ(keys.listPublished(3800)->size(), 1u);
  EXPECT_EQ(*keys.purgeRemoved(3800), 1);
  EXPECT_EQ(*keys.purgeRemoved(3800), 0);
}

TEST_P(StoreConformance, ConcurrentRotationHasOneWinner) {
  auto store = open();
  ASSERT_TRUE(store.signingKeys->rotate(key("k1", "RS256", 100), std::nullopt, {}).ok());
  auto other = open();  // another hub replica
  ASSERT_TRUE(store.signingKeys->rotate(key("k2", "RS256", 200), "k1", 300).ok());
  auto lost = other.signingKeys->rotate(key("k3", "RS256", 200), "k1", 300);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::kConflict);
  EXPECT_EQ(other.signingKeys->listPublished(150)->size(), 2u);
  // The other replica sees the change through the version counter.
  EXPECT_EQ(*other.signingKeys->version(), *store.signingKeys->version());
  // Algorithms rotate independently.
  EXPECT_TRUE(other.signingKeys->rotate(key("e1", "ES256", 100), std::nullopt, {}).ok());
}

TEST_P(StoreConformance, DuplicateKidIsRejectedAndNothingIsHalfWritten) {
  auto store = open();
  ASSERT_TRUE(store.signingKeys->rotate(key("k1", "ES256", 100), std::nullopt, {}).ok());
  const auto before = *store.signingKeys->version();
  auto dup = store.signingKeys->rotate(key("k1", "ES256", 200), "k1", 300);
  ASSERT_FALSE(dup.ok());
  // The retirement of k1 was rolled back with the failed insert.
  EXPECT_FALSE(store.signingKeys->listPublished(0)->at(0).retiresAt.has_value());
  EXPECT_EQ(*store.signingKeys->version(), before);
}

TEST_P(StoreConformance, AdminTokens) {
  auto store = open();
  auto& tokens = *store.adminTokens;
  AdminTokenRecord a{"0011223344556677", "hash-a", "admin", "first", 100, std::nullopt};
  AdminTokenRecord b{"8899aabbccddeeff", "hash-b", "auditor", "", 200, std::nullopt};
  ASSERT_TRUE(tokens.insert(a).ok());
  ASSERT_TRUE(tokens.insert(b).ok());
  auto dup = tokens.insert(a);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);

  auto found = tokens.find(a.id);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->secretHash, "hash-a");
  EXPECT_EQ((*found)->role, "admin");
  EXPECT_EQ((*found)->description, "first");
  EXPECT_FALSE((*found)->revokedAt);
  EXPECT_FALSE(tokens.find("ffffffffffffffff")->has_value());

  ASSERT_TRUE(tokens.revoke(b.id, 300).ok());
  ASSERT_TRUE(tokens.revoke(b.id, 400).ok());
  EXPECT_EQ(tokens.find(b.id)->value().revokedAt, 300) << "the first revocation time stays";
  EXPECT_EQ(tokens.revoke("ffffffffffffffff", 1).error().code, ErrorCode::kNotFound);

  auto all = tokens.list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, a.id);
  EXPECT_EQ((*all)[1].revokedAt, 300);
  // Another handle (another hub replica) sees the same tokens.
  EXPECT_EQ(open().adminTokens->list()->size(), 2u);
}

TEST_P(StoreConformance, RepositoriesShareTheConnectionSafely) {
  // The hub's maintenance thread uses the signing keys while request threads use the admin
  // tokens, on one connection.
  auto store = open();
  std::atomic<int> failures{0};
  std::thread keys([&] {
    std::optional<std::string> newest;
    for (int i = 0; i < 100; ++i) {
      const std::string kid = "k" + std::to_string(i);
      if (!store.signingKeys->rotate(key(kid, "RS256", 100 + i), newest, 1'000'000).ok() ||
          !store.signingKeys->listPublished(0).ok()) {
        ++failures;
      }
      newest = kid;
    }
  });
  std::thread tokens([&] {
    for (int i = 0; i < 100; ++i) {
      char id[17];
      std::snprintf(id, sizeof id, "%016x", i);
      if (!store.adminTokens->insert({id, "h", "edge", "", i, std::nullopt}).ok() ||
          !store.adminTokens->find(id).ok()) {
        ++failures;
      }
    }
  });
  keys.join();
  tokens.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store.signingKeys->listPublished(0)->size(), 100u);
  EXPECT_EQ(store.adminTokens->list()->size(), 100u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values("sqlite", "postgres"),
                         [](const auto& backend) { return backend.param; });

TEST(PostgresStore, RefusesNewerSchemaAndBadConnections) {
  const auto conninfo = testing::PostgresServer::shared().createDatabase();
  ASSERT_TRUE(openPostgresStore(conninfo).ok());
  auto db = PostgresDb::connect(conninfo);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->exec("INSERT INTO schema_migrations VALUES (99, 'future', 0)").ok());
  auto again = openPostgresStore(conninfo);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kStoreMigration);
  EXPECT_NE(again.error().message.find("newer than this binary"), std::string::npos);

  auto refused = openPostgresStore(
      "host=127.0.0.1 port=1 user=tessera password=hunter2 "
      "dbname=x connect_timeout=2");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kStoreFailure);
  EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos) << "no password in errors";
}

}  // namespace
}  // namespace tessera::store
