// ConfigService keeps the newest snapshot: a reload that read the revision it already holds, or
// an older one, replaces nothing (the access service would otherwise rebuild its decision index
// for an equal copy, or serve a configuration an apply had already replaced).
#include "hub/config_service.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "common/clock.hpp"
#include "model_test_support.hpp"
#include "store/store.hpp"

namespace tessera::hub {
namespace {

// The real SQLite repository, with a revision and a loaded state the test can make stale: what
// the hub's poller sees when it reads the store just before an apply lands.
class StaleReadRepository : public store::ConfigRepository {
 public:
  explicit StaleReadRepository(std::shared_ptr<store::ConfigRepository> real)
      : real_(std::move(real)) {}

  std::optional<std::int64_t> reportedRevision;
  std::optional<store::ConfigState> loadedState;

  Result<std::int64_t> revision() override {
    if (reportedRevision) {
      return *reportedRevision;
    }
    return real_->revision();
  }
  Result<store::ConfigState> load() override {
    if (loadedState) {
      return *loadedState;
    }
    return real_->load();
  }
  Result<std::int64_t> commit(const store::ConfigCommit& commit) override {
    return real_->commit(commit);
  }
  Result<void> appendEvents(const std::vector<store::AdminEventRecord>& events) override {
    return real_->appendEvents(events);
  }
  Result<std::vector<store::AdminEventRecord>> events(const store::AdminEventQuery& q) override {
    return real_->events(q);
  }
  store::ConfigRepository& real() { return *real_; }

 private:
  std::shared_ptr<store::ConfigRepository> real_;
};

class ConfigServiceSnapshots : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tessera-config-service-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = store::openSqliteStore(dir_ / "store.db");
    ASSERT_TRUE(store) << store.error().describe();
    repository_ = std::make_shared<StaleReadRepository>(store->config);
    service_ = std::make_unique<ConfigService>(repository_, SystemClock::instance());
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  void applyClient(const std::string& name) {
    std::vector<model::DesiredObject> objects;
    objects.push_back(
        model::DesiredObject{model::testing::makeObject(model::Kind::kClientWorkload, name,
                                                        model::testing::clientSpec()),
                             ""});
    auto applied = service_->apply(std::move(objects), model::ApplyMode::kUpsert, "test");
    ASSERT_TRUE(applied) << applied.error().describe();
  }

  std::filesystem::path dir_;
  std::shared_ptr<StaleReadRepository> repository_;
  std::unique_ptr<ConfigService> service_;
};

TEST_F(ConfigServiceSnapshots, AReloadOfTheSameRevisionKeepsTheSnapshotObject) {
  applyClient("first");
  const auto held = service_->snapshot();
  ASSERT_EQ(held->revision(), 1);
  // The poller read a revision that differs (a write it has not seen yet), but what it loads is
  // the revision this service already holds.
  repository_->reportedRevision = 2;
  ASSERT_TRUE(service_->refresh());
  EXPECT_EQ(service_->snapshot(), held);  // the same object, not an equal copy
}

TEST_F(ConfigServiceSnapshots, AReloadThatReadAnOlderRevisionDoesNotPutItBack) {
  applyClient("first");
  auto older = repository_->real().load();
  ASSERT_TRUE(older);
  ASSERT_EQ(older->revision, 1);
  applyClient("second");
  const auto held = service_->snapshot();
  ASSERT_EQ(held->revision(), 2);
  ASSERT_NE(held->find(model::Kind::kClientWorkload, std::string_view("second")), nullptr);

  repository_->reportedRevision = 3;
  repository_->loadedState = *older;  // a slow reload begun before "second" was committed
  ASSERT_TRUE(service_->refresh());
  EXPECT_EQ(service_->snapshot(), held);
  EXPECT_NE(service_->snapshot()->find(model::Kind::kClientWorkload, std::string_view("second")),
            nullptr);
}

TEST_F(ConfigServiceSnapshots, ANewerRevisionFromAnotherWriterIsLoaded) {
  applyClient("first");
  // Another process (a replica, the CLI) writes through its own service on the same store.
  ConfigService other(std::shared_ptr<store::ConfigRepository>(repository_, &repository_->real()),
                      SystemClock::instance());
  std::vector<model::DesiredObject> objects;
  objects.push_back(
      model::DesiredObject{model::testing::makeObject(model::Kind::kClientWorkload, "elsewhere",
                                                      model::testing::clientSpec()),
                           ""});
  ASSERT_TRUE(other.refresh());
  ASSERT_TRUE(other.apply(std::move(objects), model::ApplyMode::kUpsert, "replica"));
  ASSERT_TRUE(service_->refresh());
  EXPECT_EQ(service_->snapshot()->revision(), 2);
  EXPECT_NE(service_->snapshot()->find(model::Kind::kClientWorkload, std::string_view("elsewhere")),
            nullptr);
}

}  // namespace
}  // namespace tessera::hub
