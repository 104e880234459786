// The same behaviour asked of every store backend: the suite runs against SQLite and against a
// real PostgreSQL 15 server that the test starts itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include "postgres_server.hpp"
#include "scratch_dir.hpp"
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

const SystemTime kEventEpoch = fromUnixSeconds(1'700'000'000);

AccessEventRecord accessEvent(std::string id, SystemTime time, std::string outcome = "authorized",
                              std::string policy = "p1", std::string client = "c1",
                              std::string server = "s1") {
  AccessEventRecord e;
  e.id = std::move(id);
  e.time = time;
  e.outcome = std::move(outcome);
  e.reasonCode = e.outcome == "authorized" ? "" : "permission_denied";
  e.policy = std::move(policy);
  e.clientWorkload = std::move(client);
  e.serverWorkload = std::move(server);
  e.sourceIp = "10.0.0.7";
  e.document = R"({"id":")" + e.id + R"(","outcome":")" + e.outcome + R"("})";
  return e;
}

std::vector<std::string> ids(const AccessEventPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.records) {
    out.push_back(e.id);
  }
  return out;
}

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() != "sqlite") {
      conninfo_ = testing::PostgresServer::shared().createDatabase();
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
  testing::ScratchDir scratch_{"conf"};  // the SQLite file's
  const std::filesystem::path dir_ = scratch_.path();
  std::string conninfo_;
};

TEST_P(StoreConformance, MigratesOnce) {
  EXPECT_EQ(open().schemaVersion, 6);
  EXPECT_EQ(open().schemaVersion, 6);
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

TEST_P(StoreConformance, AccessEventAppendAndGet) {
  auto store = open();
  auto& events = *store.accessEvents;
  auto a = accessEvent("ctx-a", kEventEpoch + std::chrono::nanoseconds(123'456'789));
  auto b =
      accessEvent("ctx-b", kEventEpoch + std::chrono::seconds(1), "unauthorized", "p2", "c2", "s2");
  ASSERT_TRUE(events.append({a, b}).ok());
  ASSERT_TRUE(events.append({}).ok()) << "an empty batch is no error";

  auto got = open().accessEvents->get("ctx-b");  // another replica reads it back
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(got->id, "ctx-b");
  EXPECT_EQ(got->time, b.time);
  EXPECT_EQ(got->outcome, "unauthorized");
  EXPECT_EQ(got->reasonCode, "permission_denied");
  EXPECT_EQ(got->serverWorkload, "s2");
  EXPECT_EQ(got->policy, "p2");
  EXPECT_EQ(got->clientWorkload, "c2");
  EXPECT_EQ(got->sourceIp, "10.0.0.7");
  EXPECT_EQ(got->document, b.document);

  // Times keep microseconds; finer parts are dropped.
  EXPECT_EQ(events.get("ctx-a")->time, kEventEpoch + std::chrono::microseconds(123'456));

  auto missing = events.get("ctx-none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, AccessEventBatchIsAllOrNothing) {
  auto store = open();
  auto& events = *store.accessEvents;
  ASSERT_TRUE(events.append({accessEvent("a", kEventEpoch)}).ok());

  // A duplicate at the end of a batch larger than one PostgreSQL statement rolls back the rest.
  std::vector<AccessEventRecord> batch;
  for (int i = 0; i < 700; ++i) {
    batch.push_back(accessEvent("b" + std::to_string(i), kEventEpoch));
  }
  batch.push_back(accessEvent("a", kEventEpoch));
  auto dup = events.append(batch);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(dup.error().message.find("access event a "), std::string::npos) << dup.error().message;
  EXPECT_EQ(events.get("b0").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(events.get("b699").error().code, ErrorCode::kNotFound);

  // The same id twice in one batch.
  auto twice = events.append({accessEvent("c", kEventEpoch), accessEvent("c", kEventEpoch)});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kAlreadyExists);
  EXPECT_FALSE(events.get("c").ok());

  // An invalid record anywhere refuses the whole batch.
  auto bad = accessEvent("d", kEventEpoch, "maybe");
  auto invalid = events.append({accessEvent("e", kEventEpoch), bad});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(events.get("e").ok());
  EXPECT_EQ(events.append({accessEvent("", kEventEpoch)}).error().code,
            ErrorCode::kInvalidArgument);

  AccessEventQuery all;
  all.limit = 1000;
  EXPECT_EQ(ids(*events.query(all)), (std::vector<std::string>{"a"}));
}

TEST_P(StoreConformance, AccessEventFilters) {
  auto store = open();
  auto& events = *store.accessEvents;
  auto at = [](int s) { return kEventEpoch + std::chrono::seconds(s); };
  ASSERT_TRUE(events
                  .append({accessEvent("e1", at(1), "authorized", "p1", "c1", "s1"),
                           accessEvent("e2", at(2), "unauthorized", "p1", "c2", "s1"),
                           accessEvent("e3", at(3), "error", "p2", "c1", "s2"),
                           accessEvent("e4", at(4), "authorized", "p2", "c2", "s2"),
                           accessEvent("e5", at(5), "unauthorized", "", "c1", "s3")})
                  .ok());
  auto run = [&](auto set) {
    AccessEventQuery q;
    set(q);
    auto page = events.query(q);
    EXPECT_TRUE(page.ok()) << page.error().describe();
    EXPECT_EQ(page->nextPageToken, "");
    return ids(*page);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(run([](auto&) {}), (V{"e5", "e4", "e3", "e2", "e1"})) << "newest first";
  EXPECT_EQ(run([](auto& q) { q.outcome = "authorized"; }), (V{"e4", "e1"}));
  EXPECT_EQ(run([](auto& q) { q.outcome = "error"; }), (V{"e3"}));
  EXPECT_EQ(run([](auto& q) { q.policy = "p1"; }), (V{"e2", "e1"}));
  EXPECT_EQ(run([](auto& q) { q.policy = ""; }), (V{"e5"})) << "no policy reached";
  EXPECT_EQ(run([](auto& q) { q.clientWorkload = "c2"; }), (V{"e4", "e2"}));
  EXPECT_EQ(run([](auto& q) { q.serverWorkload = "s2"; }), (V{"e4", "e3"}));
  EXPECT_EQ(run([](auto& q) { q.serverWorkload = "s"; }), V{}) << "exact, not prefix";
  EXPECT_EQ(run([](auto& q) {
              q.clientWorkload = "c1";
              q.outcome = "unauthorized";
            }),
            (V{"e5"}));
  EXPECT_EQ(run([&](auto& q) {
              q.policy = "p2";
              q.since = at(4);
            }),
            (V{"e4"}));
}

TEST_P(StoreConformance, AccessEventTimeRangeIsHalfOpen) {
  auto store = open();
  auto& events = *store.accessEvents;
  auto at = [](int ms) { return kEventEpoch + std::chrono::milliseconds(ms); };
  ASSERT_TRUE(events
                  .append({accessEvent("t0", at(0)), accessEvent("t1", at(1000)),
                           accessEvent("t1b", at(1000)), accessEvent("t2", at(2000)),
                           accessEvent("t3", at(3000) - std::chrono::microseconds(1)),
                           accessEvent("t4", at(3000))})
                  .ok());
  auto range = [&](std::optional<SystemTime> since, std::optional<SystemTime> until) {
    AccessEventQuery q;
    q.since = since;
    q.until = until;
    return ids(*events.query(q));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(range(at(1000), at(3000)), (V{"t3", "t2", "t1b", "t1"}));
  EXPECT_EQ(range(at(1000) + std::chrono::microseconds(1), at(3000)), (V{"t3", "t2"}));
  EXPECT_EQ(range(std::nullopt, at(1000)), (V{"t0"}));
  EXPECT_EQ(range(at(3000), std::nullopt), (V{"t4"}));
  EXPECT_EQ(range(at(2000), at(2000)), V{});
  EXPECT_EQ(range(at(3000), at(1000)), V{});
}

TEST_P(StoreConformance, AccessEventPagingIsStableWhileEventsArrive) {
  auto store = open();
  auto& events = *store.accessEvents;
  // 25 events, five per timestamp, so pages also split ties (ordered by id).
  std::vector<AccessEventRecord> initial;
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "ev-%02d", i);
    initial.push_back(accessEvent(id, kEventEpoch + std::chrono::seconds(i / 5)));
    expected.insert(expected.begin(), id);
  }
  ASSERT_TRUE(events.append(initial).ok());

  std::vector<std::string> seen;
  AccessEventQuery q;
  q.limit = 7;
  int pages = 0;
  for (;;) {
    auto page = events.query(q);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    ++pages;
    EXPECT_LE(page->records.size(), 7u);
    for (const auto& e : page->records) {
      seen.push_back(e.id);
    }
    if (page->nextPageToken.empty()) {
      break;
    }
    // Between pages other decisions land, newer than everything listed, and on another replica.
    const std::string n = std::to_string(pages);
    ASSERT_TRUE(open()
                    .accessEvents
                    ->append({accessEvent("new-" + n, kEventEpoch + std::chrono::hours(1)),
                              accessEvent("ev-99-" + n, kEventEpoch + std::chrono::seconds(4))})
                    .ok());
    q.pageToken = page->nextPageToken;
  }
  EXPECT_EQ(pages, 4);
  // Exactly the events present at the first page, in order: none repeated, none skipped, none
  // of the newer ones (they sort before the cursor).
  EXPECT_EQ(seen, expected);

  // A last page that is exactly full carries no token.
  AccessEventQuery all;
  all.limit = 1000;
  const auto total = events.query(all)->records.size();
  all.limit = static_cast<int>(total);
  auto exact = events.query(all);
  EXPECT_EQ(exact->records.size(), total);
  EXPECT_EQ(exact->nextPageToken, "");
}

// Every filter combination, time range and page size against a plain reading of the contract:
// events in batches of mixed values whose times run backwards across batches (a slow decision
// is stored after faster later ones), spread wider than the SQLite store's chunk span, with
// ties in time.
TEST_P(StoreConformance, AccessEventQueriesMatchTheContract) {
  auto store = open();
  auto& events = *store.accessEvents;
  std::mt19937 random(20261202);
  const auto pick = [&](std::initializer_list<const char*> values) {
    return std::string(*(values.begin() + random() % values.size()));
  };
  std::vector<AccessEventRecord> all;
  for (int batch = 0; batch < 60; ++batch) {
    std::vector<AccessEventRecord> records;
    const int size = 1 + static_cast<int>(random() % 40);
    for (int i = 0; i < size; ++i) {
      // Mostly a rising clock with 0.1 s steps; some events land up to 5 s in the past, and
      // whole seconds repeat so that ties are ordered by id.
      const std::int64_t step = batch * 400'000 + i * 10'000;
      const std::int64_t skew =
          random() % 8 == 0 ? -static_cast<std::int64_t>(random() % 5'000'000) : 0;
      const std::int64_t micros = random() % 10 == 0 ? (step / 1'000'000) * 1'000'000 : step + skew;
      char id[32];
      std::snprintf(id, sizeof id, "ev-%08x", static_cast<unsigned>(random()));
      records.push_back(accessEvent(id, kEventEpoch + std::chrono::microseconds(micros),
                                    pick({"authorized", "authorized", "unauthorized", "error"}),
                                    pick({"p1", "p2", "p3", ""}), pick({"c1", "c2"}),
                                    pick({"s1", "s2", "s3"})));
    }
    if (auto appended = events.append(records); !appended.ok()) {
      ASSERT_EQ(appended.error().code, ErrorCode::kAlreadyExists) << appended.error().describe();
      continue;  // a random id repeated: the batch is refused whole, as the contract says
    }
    all.insert(all.end(), records.begin(), records.end());
  }
  ASSERT_GT(all.size(), 500u);
  const auto newestFirst = [](const AccessEventRecord& a, const AccessEventRecord& b) {
    return std::pair(a.time, a.id) > std::pair(b.time, b.id);
  };
  std::sort(all.begin(), all.end(), newestFirst);

  for (int round = 0; round < 120; ++round) {
    AccessEventQuery q;
    if (random() % 2 == 0) {
      q.outcome = pick({"authorized", "unauthorized", "error"});
    }
    if (random() % 2 == 0) {
      q.policy = pick({"p1", "p2", "p3", "", "p4"});
    }
    if (random() % 3 == 0) {
      q.clientWorkload = pick({"c1", "c2"});
    }
    if (random() % 3 == 0) {
      q.serverWorkload = pick({"s1", "s2", "s3"});
    }
    if (random() % 3 == 0) {
      q.since = kEventEpoch + std::chrono::microseconds(random() % 24'000'000);
    }
    if (random() % 3 == 0) {
      q.until = kEventEpoch + std::chrono::microseconds(random() % 24'000'000);
    }
    q.limit = 1 + static_cast<int>(random() % 60);
    std::vector<std::string> expected;
    for (const auto& e : all) {
      const bool passes = (!q.outcome || e.outcome == *q.outcome) &&
                          (!q.policy || e.policy == *q.policy) &&
                          (!q.clientWorkload || e.clientWorkload == *q.clientWorkload) &&
                          (!q.serverWorkload || e.serverWorkload == *q.serverWorkload) &&
                          (!q.since || e.time >= *q.since) && (!q.until || e.time < *q.until);
      if (passes) {
        expected.push_back(e.id);
      }
    }
    std::vector<std::string> listed;
    for (int pages = 0;; ++pages) {
      ASSERT_LT(pages, 2000) << "round " << round << ": paging does not end";
      auto page = events.query(q);
      ASSERT_TRUE(page.ok()) << page.error().describe();
      ASSERT_LE(page->records.size(), static_cast<std::size_t>(q.limit));
      for (const auto& e : page->records) {
        listed.push_back(e.id);
      }
      if (page->nextPageToken.empty()) {
        break;
      }
      ASSERT_EQ(page->records.size(), static_cast<std::size_t>(q.limit))
          << "round " << round << ": only a full page is followed by another";
      q.pageToken = page->nextPageToken;
    }
    ASSERT_EQ(listed, expected) << "round " << round << " (limit " << q.limit << ")";
  }
}

TEST_P(StoreConformance, AccessEventLimitBounds) {
  auto store = open();
  auto& events = *store.accessEvents;
  std::vector<AccessEventRecord> many;
  for (int i = 0; i < 1001; ++i) {
    many.push_back(accessEvent("m" + std::to_string(i), kEventEpoch + std::chrono::seconds(i)));
  }
  ASSERT_TRUE(events.append(many).ok());
  for (int bad : {0, -1, 1001}) {
    AccessEventQuery q;
    q.limit = bad;
    auto r = events.query(q);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("limit"), std::string::npos);
  }
  AccessEventQuery q;
  EXPECT_EQ(events.query(q)->records.size(), 100u) << "default limit";
  q.limit = 1;
  auto one = events.query(q);
  EXPECT_EQ(ids(*one), std::vector<std::string>{"m1000"});
  EXPECT_FALSE(one->nextPageToken.empty());
  q.limit = 1000;
  auto most = events.query(q);
  EXPECT_EQ(most->records.size(), 1000u);
  q.pageToken = most->nextPageToken;
  EXPECT_EQ(ids(*events.query(q)), std::vector<std::string>{"m0"});
}

TEST_P(StoreConformance, AccessEventBadPageToken) {
  auto store = open();
  ASSERT_TRUE(store.accessEvents->append({accessEvent("a", kEventEpoch)}).ok());
  auto hex = [](const std::string& plain) {
    std::string out;
    for (unsigned char c : plain) {
      char b[3];
      std::snprintf(b, sizeof b, "%02x", c);
      out += b;
    }
    return out;
  };
  for (const std::string& token :
       {std::string("zz"), std::string("abc"), std::string("not a token"), hex("no-colon"),
        hex(":id"), hex("123:"), hex("12x:id"), hex("99999999999999999999:id"),
        hex("1:" + std::string(300, 'x'))}) {
    AccessEventQuery q;
    q.pageToken = token;
    auto r = store.accessEvents->query(q);
    ASSERT_FALSE(r.ok()) << token;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << token;
  }
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
