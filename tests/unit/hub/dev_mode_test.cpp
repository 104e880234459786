#include "hub/dev_mode.hpp"

#include "store/store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tessera::hub {
namespace {

class DevModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tessera-dev-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static unsigned mode(const std::filesystem::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
  }
  std::filesystem::path dir_;
};

TEST_F(DevModeTest, FirstRunCreatesAPrivateKekAndWritesTheConfigItRuns) {
  auto setup = prepareDevMode(dir_ / "data", "127.0.0.1:18123");
  ASSERT_TRUE(setup.ok()) << setup.error().describe();
  EXPECT_TRUE(setup->createdKek);
  EXPECT_TRUE(setup->config.devMode);
  EXPECT_EQ(setup->config.issuer, "http://127.0.0.1:18123");
  EXPECT_EQ(setup->config.server.listen, "127.0.0.1:18123");
  EXPECT_EQ(setup->config.sqlitePath.filename(), "hub.db");
  EXPECT_EQ(mode(dir_ / "data"), 0700u);
  EXPECT_EQ(mode(dir_ / "data" / "dev-kek"), 0600u);
  // The written hub.yaml is an ordinary configuration that loads to the same hub.
  auto reloaded = loadHubConfig(setup->configPath);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().describe();
  EXPECT_EQ(reloaded->issuer, setup->config.issuer);
  EXPECT_EQ(reloaded->kek.file, setup->config.kek.file);
}

TEST_F(DevModeTest, SecondRunReusesTheKek) {
  ASSERT_TRUE(prepareDevMode(dir_, "127.0.0.1:18123").ok());
  std::ifstream first(dir_ / "dev-kek");
  std::stringstream a;
  a << first.rdbuf();
  auto again = prepareDevMode(dir_, "localhost:18124");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->createdKek);
  EXPECT_EQ(again->config.issuer, "http://127.0.0.1:18124");
  std::ifstream second(dir_ / "dev-kek");
  std::stringstream b;
  b << second.rdbuf();
  EXPECT_EQ(a.str(), b.str());
}

TEST_F(DevModeTest, AdminTokenOnFirstStartOnly) {
  auto setup = prepareDevMode(dir_, "127.0.0.1:18123");
  ASSERT_TRUE(setup.ok());
  auto store = store::openSqliteStore(setup->config.sqlitePath);
  ASSERT_TRUE(store.ok());
  AdminTokens tokens(store->adminTokens, SystemClock::instance());
  auto first = ensureDevAdminToken(dir_, tokens);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(mode(dir_ / "admin-token"), 0600u);
  std::ifstream file(dir_ / "admin-token");
  std::string written;
  std::getline(file, written);
  EXPECT_EQ(written, **first);
  auto principal = tokens.authenticate(written);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->role, AdminRole::kAdmin);
  auto second = ensureDevAdminToken(dir_, tokens);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
  EXPECT_EQ(tokens.list()->size(), 1u);
}

TEST_F(DevModeTest, RefusesAnythingButLoopback) {
  for (const char* listen : {"0.0.0.0:8080", "10.0.0.1:8080", "127.0.0.1", "127.0.0.1:0",
                             "127.0.0.1:99999", "127.0.0.1:80x", "[::]:8080", "example.com:80"}) {
    auto setup = prepareDevMode(dir_, listen);
    ASSERT_FALSE(setup.ok()) << listen;
    EXPECT_NE(setup.error().message.find("loopback only"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_)) << "nothing is written for a refused address";
}

}  // namespace
}  // namespace tessera::hub
