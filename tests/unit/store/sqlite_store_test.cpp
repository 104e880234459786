#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "scratch_dir.hpp"
#include "store/access_event_repository.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/store.hpp"

namespace tessera::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  testing::ScratchDir scratch_{"store"};
  const std::filesystem::path dir_ = scratch_.path();
};

TEST_F(SqliteStoreTest, MigratesOnceAndCreatesDirectories) {
  auto first = openSqliteStore(dir_ / "nested" / "hub.db");
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->schemaVersion, 6);
  auto second = openSqliteStore(dir_ / "nested" / "hub.db");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->schemaVersion, 6);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "nested" / "hub.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the store holds sealed keys: owner only";
}

TEST_F(SqliteStoreTest, QueryIntReadsOneValueOrNone) {
  auto db = SqliteDb::openInMemory();
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->exec("CREATE TABLE t (v INTEGER)").ok());
  auto none = (*db)->queryInt("SELECT v FROM t");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE((*db)->exec("INSERT INTO t VALUES (42), (7)").ok());
  auto first = (*db)->queryInt("SELECT v FROM t ORDER BY v DESC");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->value_or(0), 42);
  auto broken = (*db)->queryInt("SELECT v FROM missing");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::kStoreFailure) << broken.error().describe();
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
  EXPECT_EQ(pragma("wal_autocheckpoint"), "1024") << "16 MB of WAL between checkpoints";
  EXPECT_EQ(pragma("journal_size_limit"), "67108864");
  EXPECT_EQ(pragma("foreign_keys"), "1");
}

// New stores get 16 KB pages (fewer WAL and checkpoint writes per access event); a store made
// with SQLite's default 4 KB pages keeps them and works as before.
TEST_F(SqliteStoreTest, ANewStoreHasLargePagesAndAnOldOneKeepsItsOwn) {
  // A pragma's value as a connection of the store sees it.
  const auto pragma = [](const std::filesystem::path& path, std::string_view name) {
    auto db = SqliteDb::open(path);
    EXPECT_TRUE(db.ok());
    const auto value = (*db)->queryInt("PRAGMA " + std::string(name));
    EXPECT_TRUE(value.ok() && value->has_value()) << name;
    return value.ok() ? value->value_or(-1) : -1;
  };
  auto fresh = openSqliteStore(dir_ / "new.db");
  ASSERT_TRUE(fresh.ok()) << fresh.error().describe();
  EXPECT_EQ(pragma(dir_ / "new.db", "page_size"), 16384);
  EXPECT_EQ(pragma(dir_ / "new.db", "wal_autocheckpoint"), 1024)
      << "16 MB of WAL between checkpoints";

  // Made by plain SQLite, as earlier versions of Tessera made it.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "old.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "PRAGMA journal_mode=WAL; CREATE TABLE kept (v TEXT);"
                         "INSERT INTO kept VALUES ('still here');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto old = openSqliteStore(dir_ / "old.db");
  ASSERT_TRUE(old.ok()) << old.error().describe();
  EXPECT_EQ(old->schemaVersion, 6);
  EXPECT_EQ(pragma(dir_ / "old.db", "page_size"), 4096);
  EXPECT_EQ(pragma(dir_ / "old.db", "wal_autocheckpoint"), 4096) << "the same 16 MB of WAL";
  auto db = SqliteDb::open(dir_ / "old.db");
  ASSERT_TRUE(db.ok());
  auto q = (*db)->prepare("SELECT v FROM kept");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(q->step().ok());
  EXPECT_EQ(q->columnText(0), "still here");
}

// Access events stored before the filter chunks (schema 4) are still found by every filter
// after the upgrade, and list in order with the ones stored after it.
TEST_F(SqliteStoreTest, AccessEventsOfSchemaFourSurviveTheUpgrade) {
  std::filesystem::create_directories(dir_);
  {
    auto db = SqliteDb::open(dir_ / "hub.db");
    ASSERT_TRUE(db.ok());
    const auto migrations = schemaMigrations();
    ASSERT_EQ(migrations[3].version, 4);
    auto version = applyMigrations(**db, migrations.first(4));
    ASSERT_TRUE(version.ok()) << version.error().describe();
    ASSERT_EQ(*version, 4);
    ASSERT_TRUE((*db)
                    ->exec(R"sql(
INSERT INTO access_events VALUES
  ('old-1', 1000, 'authorized', '', 's1', 'p1', 'c1', '10.0.0.1', '{"n":1}'),
  ('old-2', 3000, 'unauthorized', 'MatchRuleFailed', 's2', 'p2', 'c1', '10.0.0.2', '{"n":2}'),
  ('old-3', 2000, 'authorized', '', 's1', 'p2', 'c2', '10.0.0.3', '{"n":3}');
)sql")
                    .ok());
  }
  auto store = openSqliteStore(dir_ / "hub.db");
  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_EQ(store->schemaVersion, 6);
  auto& events = *store->accessEvents;
  AccessEventRecord fresh;
  fresh.id = "new-1";
  fresh.time = SystemTime(std::chrono::microseconds(2500));
  fresh.outcome = "authorized";
  fresh.policy = "p2";
  fresh.clientWorkload = "c1";
  fresh.serverWorkload = "s1";
  fresh.document = R"({"n":4})";
  ASSERT_TRUE(events.append({fresh}).ok());

  const auto list = [&](auto set) {
    AccessEventQuery q;
    set(q);
    auto page = events.query(q);
    EXPECT_TRUE(page.ok()) << page.error().describe();
    std::vector<std::string> ids;
    for (const auto& e : page->records) {
      ids.push_back(e.id);
    }
    return ids;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(list([](auto&) {}), (V{"old-2", "new-1", "old-3", "old-1"}));
  EXPECT_EQ(list([](auto& q) { q.policy = "p2"; }), (V{"old-2", "new-1", "old-3"}));
  EXPECT_EQ(list([](auto& q) { q.clientWorkload = "c1"; }), (V{"old-2", "new-1", "old-1"}));
  EXPECT_EQ(list([](auto& q) { q.serverWorkload = "s1"; }), (V{"new-1", "old-3", "old-1"}));
  EXPECT_EQ(list([](auto& q) { q.outcome = "unauthorized"; }), (V{"old-2"}));
  auto old = events.get("old-2");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->reasonCode, "MatchRuleFailed");
  EXPECT_EQ(old->sourceIp, "10.0.0.2");
  EXPECT_EQ(old->document, R"({"n":2})");
  EXPECT_EQ(events.append({fresh}).error().code, ErrorCode::kAlreadyExists)
      << "ids stay unique across the upgrade";
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
