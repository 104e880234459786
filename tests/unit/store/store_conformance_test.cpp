// The same behaviour asked of every store backend: the suite runs against SQLite and against a
// real PostgreSQL 15 server that the test starts itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
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

ConfigRecord object(std::string kind, std::string name, std::int64_t version = 1,
                    std::int64_t at = 1000) {
  ConfigRecord r;
  r.kind = std::move(kind);
  r.name = std::move(name);
  r.document = R"({"name":")" + r.name + R"(","v":)" + std::to_string(version) + "}";
  r.createdAt = at;
  r.updatedAt = at;
  r.version = version;
  return r;
}

ConfigChange change(ConfigChange::Op op, ConfigRecord record) {
  ConfigChange c;
  c.op = op;
  c.record = std::move(record);
  return c;
}
ConfigChange create(std::string kind, std::string name) {
  return change(ConfigChange::Op::kCreate, object(std::move(kind), std::move(name)));
}
// The record at its new version (the stored one must be version - 1).
ConfigChange update(std::string kind, std::string name, std::int64_t version,
                    std::int64_t at = 2000) {
  return change(ConfigChange::Op::kUpdate, object(std::move(kind), std::move(name), version, at));
}
// Deletes the object stored at `version`.
ConfigChange remove(std::string kind, std::string name, std::int64_t version) {
  return change(ConfigChange::Op::kDelete, object(std::move(kind), std::move(name), version));
}

AdminEventRecord event(std::int64_t at, std::string kind, std::string name,
                       std::string action = "create") {
  AdminEventRecord e;
  e.at = at;
  e.actor = "cli:root";
  e.action = std::move(action);
  e.kind = std::move(kind);
  e.name = std::move(name);
  e.after = "{}";
  return e;
}

ConfigCommit changeSet(std::int64_t expectedRevision, std::vector<ConfigChange> changes,
                       std::vector<AdminEventRecord> events = {}) {
  ConfigCommit c;
  c.expectedRevision = expectedRevision;
  c.changes = std::move(changes);
  c.events = std::move(events);
  return c;
}

// "Kind/name@version" per record, in load() order: compact to compare.
std::vector<std::string> summary(const ConfigState& state) {
  std::vector<std::string> out;
  for (const auto& r : state.records) {
    out.push_back(r.kind + "/" + r.name + "@" + std::to_string(r.version));
  }
  return out;
}

std::vector<std::int64_t> ids(const std::vector<AdminEventRecord>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) {
    out.push_back(e.id);
  }
  return out;
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
  EXPECT_EQ(open().schemaVersion, 3);
  EXPECT_EQ(open().schemaVersion, 3);
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

TEST_P(StoreConformance, ConfigCreateUpdateDeleteRoundTrip) {
  auto store = open();
  auto& config = *store.config;
  EXPECT_EQ(*config.revision(), 0);
  auto empty = config.load();
  ASSERT_TRUE(empty.ok()) << empty.error().describe();
  EXPECT_EQ(empty->revision, 0);
  EXPECT_TRUE(empty->records.empty());

  // Byte order, kind first, on every backend.
  auto r1 =
      config.commit(changeSet(0, {create("ServerWorkload", "ab"), create("ServerWorkload", "B"),
                                  create("ServerWorkload", "a-b"), create("ClientWorkload", "z")}));
  ASSERT_TRUE(r1.ok()) << r1.error().describe();
  EXPECT_EQ(*r1, 1);
  auto loaded = config.load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->revision, 1);
  EXPECT_EQ(summary(*loaded),
            (std::vector<std::string>{"ClientWorkload/z@1", "ServerWorkload/B@1",
                                      "ServerWorkload/a-b@1", "ServerWorkload/ab@1"}));
  const auto& first = loaded->records[0];
  EXPECT_EQ(first.document, R"({"name":"z","v":1})");
  EXPECT_EQ(first.createdAt, 1000);
  EXPECT_EQ(first.updatedAt, 1000);

  auto r2 = config.commit(changeSet(1, {update("ClientWorkload", "z", 2, 2500)}));
  ASSERT_TRUE(r2.ok()) << r2.error().describe();
  EXPECT_EQ(*r2, 2);
  auto r3 = config.commit(
      changeSet(2, {update("ClientWorkload", "z", 3, 2600), remove("ServerWorkload", "B", 1)}));
  ASSERT_TRUE(r3.ok()) << r3.error().describe();
  EXPECT_EQ(*r3, 3);
  EXPECT_EQ(*config.revision(), 3);

  loaded = config.load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->revision, 3);
  EXPECT_EQ(summary(*loaded),
            (std::vector<std::string>{"ClientWorkload/z@3", "ServerWorkload/a-b@1",
                                      "ServerWorkload/ab@1"}));
  EXPECT_EQ(loaded->records[0].document, R"({"name":"z","v":3})");
  EXPECT_EQ(loaded->records[0].createdAt, 1000) << "an update keeps the creation time";
  EXPECT_EQ(loaded->records[0].updatedAt, 2600);

  // A name freed by a delete can be created again, in the same change set too.
  auto r4 =
      config.commit(changeSet(3, {create("ServerWorkload", "B"), remove("ServerWorkload", "B", 1),
                                  create("ServerWorkload", "B")}));
  ASSERT_TRUE(r4.ok()) << r4.error().describe();
  EXPECT_EQ(config.load()->records.size(), 4u);
}

TEST_P(StoreConformance, ConfigStaleRevisionConflictsAndWritesNothing) {
  auto store = open();
  auto& config = *store.config;
  ASSERT_TRUE(config.commit(changeSet(0, {create("ServerWorkload", "s1")})).ok());
  auto stale = config.commit(
      changeSet(0, {create("ServerWorkload", "s2")}, {event(10, "ServerWorkload", "s2")}));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_NE(stale.error().message.find("changed since revision 0"), std::string::npos)
      << stale.error().message;
  EXPECT_NE(stale.error().message.find("retry"), std::string::npos);
  EXPECT_EQ(*config.revision(), 1);
  EXPECT_EQ(summary(*config.load()), (std::vector<std::string>{"ServerWorkload/s1@1"}));
  EXPECT_TRUE(config.events({})->empty());
  // A revision from the future is stale too.
  EXPECT_EQ(config.commit(changeSet(5, {create("ServerWorkload", "s2")})).error().code,
            ErrorCode::kConflict);
}

TEST_P(StoreConformance, ConfigFailedChangeSetWritesNothing) {
  auto store = open();
  auto& config = *store.config;
  ASSERT_TRUE(
      config.commit(changeSet(0, {create("ServerWorkload", "a"), create("ServerWorkload", "b")}))
          .ok());
  const auto before = summary(*config.load());

  struct Case {
    std::vector<ConfigChange> changes;
    ErrorCode code;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      // The third change creates an object that exists.
      {{create("ServerWorkload", "x"), update("ServerWorkload", "a", 2),
        create("ServerWorkload", "b")},
       ErrorCode::kAlreadyExists,
       "ServerWorkload/b"},
      // ... or one that an earlier change of the set created.
      {{create("ServerWorkload", "y"), remove("ServerWorkload", "a", 1),
        create("ServerWorkload", "y")},
       ErrorCode::kAlreadyExists,
       "ServerWorkload/y"},
      // The third change updates at the wrong version.
      {{create("ServerWorkload", "x"), remove("ServerWorkload", "a", 1),
        update("ServerWorkload", "b", 5)},
       ErrorCode::kPreconditionFailed,
       "ServerWorkload/b"},
      // The third change deletes what the second already deleted.
      {{create("ServerWorkload", "x"), remove("ServerWorkload", "a", 1),
        remove("ServerWorkload", "a", 1)},
       ErrorCode::kNotFound,
       "ServerWorkload/a"},
  };
  for (const auto& c : cases) {
    auto failed = config.commit(changeSet(1, c.changes, {event(10, "ServerWorkload", "x")}));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, c.code) << failed.error().describe();
    EXPECT_NE(failed.error().message.find(c.mentions), std::string::npos) << failed.error().message;
    EXPECT_EQ(*config.revision(), 1);
    EXPECT_EQ(summary(*config.load()), before);
    EXPECT_TRUE(config.events({})->empty());
  }
  // The store is still usable after the rollbacks.
  EXPECT_EQ(*config.commit(changeSet(1, {create("ServerWorkload", "x")})), 2);
}

TEST_P(StoreConformance, ConfigVersionMismatchIsAPreconditionFailure) {
  auto store = open();
  auto& config = *store.config;
  ASSERT_TRUE(config.commit(changeSet(0, {create("TrustProvider", "k8s")})).ok());
  ASSERT_TRUE(config.commit(changeSet(1, {update("TrustProvider", "k8s", 2)})).ok());

  auto lostUpdate = config.commit(changeSet(2, {update("TrustProvider", "k8s", 2)}));
  ASSERT_FALSE(lostUpdate.ok());
  EXPECT_EQ(lostUpdate.error().code, ErrorCode::kPreconditionFailed);
  const auto& m = lostUpdate.error().message;
  EXPECT_NE(m.find("TrustProvider/k8s"), std::string::npos) << m;
  EXPECT_NE(m.find("expected version 1"), std::string::npos) << m;
  EXPECT_NE(m.find("found version 2"), std::string::npos) << m;

  auto staleDelete = config.commit(changeSet(2, {remove("TrustProvider", "k8s", 1)}));
  ASSERT_FALSE(staleDelete.ok());
  EXPECT_EQ(staleDelete.error().code, ErrorCode::kPreconditionFailed);
  EXPECT_NE(staleDelete.error().message.find("found version 2"), std::string::npos);

  EXPECT_EQ(config.commit(changeSet(2, {update("TrustProvider", "nope", 2)})).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(config.commit(changeSet(2, {remove("TrustProvider", "nope", 1)})).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(*config.revision(), 2);
  EXPECT_EQ(summary(*config.load()), (std::vector<std::string>{"TrustProvider/k8s@2"}));
}

TEST_P(StoreConformance, ConfigBatchOfUpdatesNamesTheStaleOneAndWritesNothing) {
  auto store = open();
  auto& config = *store.config;
  ASSERT_TRUE(
      config
          .commit(changeSet(0, {create("ServerWorkload", "a"), create("ServerWorkload", "b"),
                                create("ServerWorkload", "c")}))
          .ok());
  ASSERT_TRUE(config.commit(changeSet(1, {update("ServerWorkload", "b", 2)})).ok());
  // b is at version 2 now: a batch that expects version 1 everywhere fails on b alone.
  auto stale = config.commit(
      changeSet(2, {update("ServerWorkload", "a", 2), update("ServerWorkload", "b", 2),
                    update("ServerWorkload", "c", 2)}));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kPreconditionFailed);
  EXPECT_NE(stale.error().message.find("ServerWorkload/b"), std::string::npos)
      << stale.error().message;
  EXPECT_EQ(
      summary(*config.load()),
      (std::vector<std::string>{"ServerWorkload/a@1", "ServerWorkload/b@2", "ServerWorkload/c@1"}));
  ASSERT_TRUE(
      config
          .commit(changeSet(2, {update("ServerWorkload", "a", 2), update("ServerWorkload", "b", 3),
                                update("ServerWorkload", "c", 2)}))
          .ok());
  EXPECT_EQ(
      summary(*config.load()),
      (std::vector<std::string>{"ServerWorkload/a@2", "ServerWorkload/b@3", "ServerWorkload/c@2"}));
}

TEST_P(StoreConformance, AdminEventsFilterAndPageNewestFirst) {
  auto store = open();
  auto& config = *store.config;
  // Revision 1 with two events, then token events outside any change set, then revision 2.
  ASSERT_TRUE(config
                  .commit(changeSet(
                      0, {create("ServerWorkload", "s1"), create("ClientWorkload", "c1")},
                      {event(100, "ServerWorkload", "s1"), event(100, "ClientWorkload", "c1")}))
                  .ok());
  AdminEventRecord token = event(150, "AdminToken", "0011223344556677", "token.create");
  token.actor = "0011223344556677";
  ASSERT_TRUE(config.appendEvents({token}).ok());
  ASSERT_TRUE(config
                  .commit(changeSet(1, {update("ServerWorkload", "s1", 2)},
                                    {event(200, "ServerWorkload", "s1", "update")}))
                  .ok());
  // A change set without changes keeps the revision and records its events at it.
  auto same = config.commit(changeSet(2, {}, {event(300, "ServerWorkload", "s1", "update")}));
  ASSERT_TRUE(same.ok()) << same.error().describe();
  EXPECT_EQ(*same, 2);
  EXPECT_EQ(*config.revision(), 2);

  auto all = config.events({});
  ASSERT_TRUE(all.ok()) << all.error().describe();
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ(ids(*all), (std::vector<std::int64_t>{5, 4, 3, 2, 1}));
  EXPECT_EQ((*all)[0].at, 300);
  EXPECT_EQ((*all)[0].revision, 2);
  EXPECT_EQ((*all)[1].action, "update");
  EXPECT_EQ((*all)[1].revision, 2);
  EXPECT_EQ((*all)[2].action, "token.create");
  EXPECT_EQ((*all)[2].actor, "0011223344556677");
  EXPECT_EQ((*all)[2].revision, 0) << "appendEvents changes no configuration";
  EXPECT_EQ((*all)[3].kind, "ClientWorkload");
  EXPECT_EQ((*all)[3].name, "c1");
  EXPECT_EQ((*all)[3].after, "{}");
  EXPECT_EQ((*all)[3].before, "");
  EXPECT_EQ((*all)[3].revision, 1);
  EXPECT_EQ((*all)[4].actor, "cli:root");

  AdminEventQuery q;
  q.since = 150;
  EXPECT_EQ(ids(*config.events(q)), (std::vector<std::int64_t>{5, 4, 3}));
  q.until = 300;
  EXPECT_EQ(ids(*config.events(q)), (std::vector<std::int64_t>{4, 3}));
  q = {};
  q.kind = "ServerWorkload";
  EXPECT_EQ(ids(*config.events(q)), (std::vector<std::int64_t>{5, 4, 1}));
  q.limit = 2;
  EXPECT_EQ(ids(*config.events(q)), (std::vector<std::int64_t>{5, 4}));
  q.beforeId = 4;
  EXPECT_EQ(ids(*config.events(q)), (std::vector<std::int64_t>{1}));
  q = {};
  q.limit = 0;  // clamped to 1
  EXPECT_EQ(ids(*config.events(q)), (std::vector<std::int64_t>{5}));
  q.limit = -7;
  EXPECT_EQ(config.events(q)->size(), 1u);

  // Paging through 1,205 events with the cursor; a page holds at most 1,000.
  std::vector<AdminEventRecord> many;
  for (int i = 0; i < 1200; ++i) {
    many.push_back(event(400 + i, "AdminToken", "t" + std::to_string(i), "token.revoke"));
  }
  ASSERT_TRUE(config.appendEvents(many).ok());
  q = {};
  q.limit = 5000;
  auto page = config.events(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1000u);
  EXPECT_EQ(page->front().id, 1205);
  EXPECT_EQ(page->front().name, "t1199");
  EXPECT_EQ(page->back().id, 206);
  q.beforeId = page->back().id;
  auto rest = config.events(q);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 205u);
  EXPECT_EQ(rest->front().id, 205);
  EXPECT_EQ(rest->back().id, 1);
  EXPECT_EQ(*config.revision(), 2);
}

TEST_P(StoreConformance, ConfigHandlesSeeEachOthersCommits) {
  auto hub = open();
  auto cli = open();  // another process on the same store
  ASSERT_TRUE(
      hub.config
          ->commit(changeSet(0, {create("AccessPolicy", "p1")}, {event(1, "AccessPolicy", "p1")}))
          .ok());
  EXPECT_EQ(*cli.config->revision(), 1);
  auto seen = cli.config->load();
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(summary(*seen), (std::vector<std::string>{"AccessPolicy/p1@1"}));
  ASSERT_TRUE(cli.config
                  ->commit(changeSet(1, {update("AccessPolicy", "p1", 2)},
                                     {event(2, "AccessPolicy", "p1", "update")}))
                  .ok());
  ASSERT_TRUE(cli.config->appendEvents({event(3, "AdminToken", "t", "token.create")}).ok());
  EXPECT_EQ(*hub.config->revision(), 2);
  EXPECT_EQ(summary(*hub.config->load()), (std::vector<std::string>{"AccessPolicy/p1@2"}));
  EXPECT_EQ(ids(*hub.config->events({})), (std::vector<std::int64_t>{3, 2, 1}));
}

TEST_P(StoreConformance, ConcurrentConfigCommitsHaveOneWinner) {
  auto a = open();
  auto b = open();  // another hub replica
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<int> ready{0};
    Result<std::int64_t> results[2] = {fail(ErrorCode::kInternal, "not run"),
                                       fail(ErrorCode::kInternal, "not run")};
    auto run = [&](int i, ConfigRepository& config) {
      ++ready;
      while (ready.load() < 2) {
        std::this_thread::yield();
      }
      const std::string name = "r" + std::to_string(round) + (i == 0 ? "a" : "b");
      results[i] = config.commit(changeSet(round, {create("ServerWorkload", name)},
                                           {event(round, "ServerWorkload", name)}));
    };
    std::thread ta(run, 0, std::ref(*a.config));
    std::thread tb(run, 1, std::ref(*b.config));
    ta.join();
    tb.join();
    int won = 0;
    for (const auto& r : results) {
      if (r.ok()) {
        ++won;
        EXPECT_EQ(*r, round + 1);
      } else {
        EXPECT_EQ(r.error().code, ErrorCode::kConflict) << r.error().describe();
      }
    }
    ASSERT_EQ(won, 1) << "round " << round;
  }
  EXPECT_EQ(*a.config->revision(), kRounds);
  EXPECT_EQ(b.config->load()->records.size(), static_cast<std::size_t>(kRounds));
  EXPECT_EQ(a.config->events({})->size(), static_cast<std::size_t>(kRounds));
}

TEST_P(StoreConformance, TenThousandCreatesInOneCommit) {
  auto store = open();
  constexpr int kObjects = 10'000;
  ConfigCommit big;
  for (int i = 0; i < kObjects; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "w%05d", i);
    big.changes.push_back(create("ServerWorkload", name));
  }
  big.events.push_back(event(1, "ServerWorkload", "*", "import"));
  const auto start = std::chrono::steady_clock::now();
  auto committed = store.config->commit(big);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(committed.ok()) << committed.error().describe();
  EXPECT_EQ(*committed, 1);
  std::printf("[ timing   ] %s: commit of %d creates took %.1f ms\n", GetParam().c_str(), kObjects,
              std::chrono::duration<double, std::milli>(elapsed).count());

  auto loaded = open().config->load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->revision, 1);
  ASSERT_EQ(loaded->records.size(), static_cast<std::size_t>(kObjects));
  EXPECT_EQ(loaded->records.front().name, "w00000");
  EXPECT_EQ(loaded->records.back().name, "w09999");
  EXPECT_EQ(loaded->records[1234].document, R"({"name":"w01234","v":1})");

  // A duplicate at the very end rolls back all 10,000 others.
  big.expectedRevision = 1;
  for (auto& c : big.changes) {
    c.record.name += "-2";
  }
  big.changes.push_back(create("ServerWorkload", "w00042"));
  auto dup = store.config->commit(big);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(dup.error().message.find("ServerWorkload/w00042"), std::string::npos);
  EXPECT_EQ(store.config->load()->records.size(), static_cast<std::size_t>(kObjects));
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
