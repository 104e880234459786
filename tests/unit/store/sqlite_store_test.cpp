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

TEST_F(SqliteStoreTest, MigratesOnceAndCreatesDirectories) {
  auto first = openSqliteStore(dir_ / "nested" / "hub.db");
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->schemaVersion, 4);
  auto second = openSqliteStore(dir_ / "nested" / "hub.db");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->schemaVersion, 4);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "nested" / "hub.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the store holds sealed keys: owner only";
}

TEST_F(SqliteStoreTest, ConnectionsUseWalWithSpacedCheckpoints) {
  std::filesystem::create_directories(dir_);
  auto db = SqliteDb::open(dir_ / "hub.db");
  ASSERT_TRUE(db.ok()) << db.error().describe();
  const auto pragma = [&](const std::string& name) {
    auto q = (*db)->prepare("PRAGMA " + name);
    EXPECT_TRUE(q.ok());
    const auto row = q->step();
    EXPECT_TRUE(row.ok() && *row) << name;
    return q->columnText(0);
  };
  EXPECT_EQ(pragma("journal_mode"), "wal");
  EXPECT_EQ(pragma("synchronous"), "1") << "NORMAL";
  EXPECT_EQ(pragma("wal_autocheckpoint"), "4096");
  EXPECT_EQ(pragma("journal_size_limit"), "67108864");
  EXPECT_EQ(pragma("foreign_keys"), "1");
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

TEST_F(SqliteStoreTest, ConfigurationPersistsAcrossReopen) {
  ConfigRecord record;
  record.kind = "ServerWorkload";
  record.name = "s3";
  record.document = R"({"name":"s3"})";
  record.createdAt = 100;
  record.updatedAt = 100;
  record.version = 1;
  ConfigChange create;
  create.record = record;
  AdminEventRecord event;
  event.at = 100;
  event.actor = "cli:root";
  event.action = "create";
  event.kind = record.kind;
  event.name = record.name;
  event.after = record.document;
  ConfigCommit commit;
  commit.changes.push_back(create);
  commit.events.push_back(event);
  {
    auto store = openSqliteStore(dir_ / "hub.db");
    ASSERT_TRUE(store.ok());
    auto committed = store->config->commit(commit);
    ASSERT_TRUE(committed.ok()) << committed.error().describe();
  }
  auto store = openSqliteStore(dir_ / "hub.db");
  ASSERT_TRUE(store.ok());
  auto state = store->config->load();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->revision, 1);
  ASSERT_EQ(state->records.size(), 1u);
  EXPECT_EQ(state->records[0].name, "s3");
  EXPECT_EQ(state->records[0].document, R"({"name":"s3"})");
  auto events = store->config->events({});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().id, 1);
  EXPECT_EQ(events->front().revision, 1);
  EXPECT_EQ(events->front().after, R"({"name":"s3"})");
}

}  // namespace
}  // namespace tessera::store
