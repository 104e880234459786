// Two hub replicas sharing one store (PostgreSQL, and SQLite on one host) see each other's key
// changes within a second, and each serves them on its own /jwks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "hub/hub.hpp"
#include "net/http_client.hpp"
#include "test_hub.hpp"

namespace tessera::hub {
namespace {

using namespace std::chrono_literals;

class HubReplicas : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tessera-replicas-" + std::to_string(::getpid()) + "-" + GetParam());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_ = testing::testHubConfig("replicas", GetParam(), dir_);
    config_.server.threads = 1;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Hub> startHub() { return testing::startTestHub(config_); }

  std::set<std::string> jwksKids(const Hub& hub) {
    auto response = client_->requestBlocking(
        net::ClientRequest::get("http://127.0.0.1:" + std::to_string(hub.port()) + "/jwks"));
    if (!response || response->status != 200) {
      throw std::runtime_error("GET /jwks failed");
    }
    std::set<std::string> kids;
    const auto jwks = nlohmann::json::parse(response->body);
    for (const auto& k : jwks.at("keys")) {
      kids.insert(k["kid"].get<std::string>());
    }
    return kids;
  }

  std::filesystem::path dir_;
  HubConfig config_;
  std::shared_ptr<net::HttpClient> client_ = *net::HttpClient::create();
};

TEST_P(HubReplicas, SeeEachOthersRotationWithinOneSecond) {
  auto a = startHub();
  auto b = startHub();
  const auto initial = jwksKids(*a);
  ASSERT_EQ(initial.size(), 2u) << "one RS256 and one ES256 key, created once for both replicas";
  EXPECT_EQ(jwksKids(*b), initial);

  auto rotated = a->keys().rotateNow();
  ASSERT_TRUE(rotated.ok()) << rotated.error().describe();
  ASSERT_EQ(rotated->size(), 2u);
  const auto changedAt = std::chrono::steady_clock::now();
  std::set<std::string> seen;
  while (std::chrono::steady_clock::now() - changedAt < 1s) {
    seen = jwksKids(*b);
    if (seen.size() == 4) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(seen.size(), 4u) << "replica B did not publish A's next keys within one second";
  EXPECT_EQ(seen, jwksKids(*a));
  // B does not rotate again: the next keys are already pending.
  EXPECT_TRUE(b->keys().rotateNow()->empty());
  b->stop();
  a->stop();
}

INSTANTIATE_TEST_SUITE_P(Stores, HubReplicas, ::testing::Values("postgres", "sqlite"),
                         [](const auto& store) { return store.param; });

}  // namespace
}  // namespace tessera::hub
