// HubGrantSource against a scripted hub API on 127.0.0.1:0 (the access answers and failures the
// real hub gives, counted), with a ManualClock: single-flight, caching until refreshAt, refresh
// ahead, held grants while the hub is down, denials, and what the edge sends.
#include "edge/hub_grant_source.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "common/time_format.hpp"
#include "net/http_server.hpp"

namespace tessera::edge {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using GrantResult = Result<std::shared_ptr<const Grant>>;

const SystemTime kStart = fromUnixSeconds(1'800'000'000);

// The hub's POST /v1/access as the edge sees it: `mode` decides the answer.
class ScriptedHub {
 public:
  enum class Mode { kAuthorize, kDeny, kFail };

  explicit ScriptedHub(const Clock& clock) : clock_(clock) {
    net::Router router;
    router.add("POST", "/v1/access",
               [this](net::Request& request) -> boost::asio::awaitable<net::Response> {
                 co_return answer(request);
               });
    server_ = std::make_unique<net::HttpServer>(std::move(router), net::HttpServerOptions{
                                                                       .bind = "127.0.0.1:0",
                                                                       .threads = 2,
                                                                   });
    auto started = server_->start();
    if (!started) {
      throw std::runtime_error(started.error().describe());
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void stop() { server_->stop(1s); }
  void setMode(Mode m) { mode_ = m; }
  void setDelay(std::chrono::milliseconds d) { delay_ = d; }
  int calls() const { return calls_.load(); }
  json lastBody() const {
    std::lock_guard lock(mutex_);
    return lastBody_;
  }
  std::string lastAuthorization() const {
    std::lock_guard lock(mutex_);
    return lastAuthorization_;
  }

 private:
  net::Response answer(net::Request& request) {
    ++calls_;
    {
      std::lock_guard lock(mutex_);
      lastBody_ = json::parse(request.body);
      lastAuthorization_ = std::string(request.header("Authorization").value_or(""));
    }
    std::this_thread::sleep_for(delay_);
    const auto now = clock_.now();
    const int n = calls_.load();
    switch (mode_.load()) {
      case Mode::kDeny:
        return net::jsonResponse(200, {{"contextId", "ctx-deny"},
                                       {"outcome", "unauthorized"},
                                       {"reasonCode", "no_policy"},
                                       {"reason", "no access policy lets this workload in"}});
      case Mode::kFail:
        return net::jsonResponse(500, {{"error", "internal"}});
      case Mode::kAuthorize:
        break;
    }
    return net::jsonResponse(
        200, {{"contextId", "ctx-" + std::to_string(n)},
              {"outcome", "authorized"},
              {"reasonCode", "authorized"},
              {"reason", "ok"},
              {"serverWorkload", "api"},
              {"grant",
               {{"credential", {{"type", "bearer-token"}, {"token", "t-" + std::to_string(n)}}},
                {"injection", {{"method", "bearer"}}},
                {"expiresAt", formatRfc3339(now + 100s)},
                {"refreshAt", formatRfc3339(now + 80s)},
                {"contextId", "ctx-" + std::to_string(n)}}}});
  }

  const Clock& clock_;
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<Mode> mode_{Mode::kAuthorize};
  std::chrono::milliseconds delay_{0};
  std::atomic<int> calls_{0};
  mutable std::mutex mutex_;
  json lastBody_;
  std::string lastAuthorization_;
};

class HubGrantSourceTest : public ::testing::Test {
 protected:
  HubGrantSourceTest() : clock_(kStart), hub_(clock_), work_(ioc_.get_executor()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("hub_grant_source_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "pod-token") << "pod.token.value\n";
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  ~HubGrantSourceTest() override {
    source_.reset();
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
    std::filesystem::remove_all(dir_);
  }

  HubGrantSource& source() {
    if (!source_) {
      HubConnectionSettings hub;
      hub.url = hub_.url();
      hub.timeout = 2s;
      EvidenceSettings evidence;
      evidence.tokenFiles = {dir_ / "pod-token"};
      evidence.hostFacts = false;
      auto http = net::HttpClient::create();
      auto collector = std::make_shared<EvidenceCollector>(evidence, *http, clock_);
      source_ = std::make_unique<HubGrantSource>(hub, "edge-token-1", GrantCacheSettings{},
                                                 collector, *http, clock_, metrics_);
    }
    return *source_;
  }

  GrantResult grant(std::string host = "api.example.com") {
    auto& s = source();
    auto lookup = [&s, host]() -> boost::asio::awaitable<std::optional<GrantResult>> {
      Target target{host, 443, "http"};
      ClientContext context{"10.1.2.3"};
      co_return co_await s.grantFor(std::move(target), std::move(context));
    };
    return *boost::asio::co_spawn(ioc_, lookup(), boost::asio::use_future).get();
  }

  void waitForCalls(int n) {
    for (int i = 0; i < 200 && hub_.calls() < n; ++i) {
      std::this_thread::sleep_for(10ms);
    }
  }

  ManualClock clock_;
  ScriptedHub hub_;
  MetricsRegistry metrics_;
  boost::asio::io_context ioc_{2};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::filesystem::path dir_;
  std::unique_ptr<HubGrantSource> source_;
};

TEST_F(HubGrantSourceTest, AsksTheHubWithTheEdgeTokenEvidenceTargetAndContext) {
  auto g = grant();
  ASSERT_TRUE(g) << g.error().describe();
  EXPECT_EQ((*g)->field("token"), "t-1");
  EXPECT_EQ(hub_.lastAuthorization(), "Bearer edge-token-1");
  const auto body = hub_.lastBody();
  EXPECT_EQ(body["evidence"]["tokens"], json::array({"pod.token.value"}));
  EXPECT_EQ(body["target"],
            (json{{"host", "api.example.com"}, {"port", 443}, {"protocol", "http"}}));
  EXPECT_EQ(body["context"]["sourceIp"], "10.1.2.3");
}

TEST_F(HubGrantSourceTest, ConcurrentFirstRequestsMakeOneHubCall) {
  hub_.setDelay(200ms);
  auto& s = source();
  std::vector<std::future<std::optional<GrantResult>>> futures;
  for (int i = 0; i < 200; ++i) {
    auto lookup = [&s]() -> boost::asio::awaitable<std::optional<GrantResult>> {
      Target target{"api.example.com", 443, "http"};
      ClientContext context{"10.1.2.3"};
      co_return co_await s.grantFor(std::move(target), std::move(context));
    };
    futures.push_back(boost::asio::co_spawn(ioc_, lookup(), boost::asio::use_future));
  }
  for (auto& f : futures) {
    auto g = *f.get();
    ASSERT_TRUE(g) << g.error().describe();
    EXPECT_EQ((*g)->field("token"), "t-1");
  }
  EXPECT_EQ(hub_.calls(), 1);
  EXPECT_EQ(s.stats().misses, 1u);
}

TEST_F(HubGrantSourceTest, AGrantIsServedUntilItsRefreshPointThenRefreshedAhead) {
  ASSERT_TRUE(grant());
  clock_.advance(79s);
  auto cached = grant();
  ASSERT_TRUE(cached);
  EXPECT_EQ((*cached)->field("token"), "t-1");
  EXPECT_EQ(hub_.calls(), 1);
  clock_.advance(2s);  // past refreshAt, before expiresAt: the held grant, a refresh behind it
  auto held = grant();
  ASSERT_TRUE(held);
  EXPECT_EQ((*held)->field("token"), "t-1");
  waitForCalls(2);
  EXPECT_EQ(hub_.calls(), 2);
  std::this_thread::sleep_for(50ms);
  auto refreshed = grant();
  ASSERT_TRUE(refreshed);
  EXPECT_EQ((*refreshed)->field("token"), "t-2");
}

TEST_F(HubGrantSourceTest, WhileTheHubIsDownAHeldGrantWorksUntilItExpires) {
  ASSERT_TRUE(grant());
  hub_.stop();
  clock_.advance(90s);
  auto held = grant();
  ASSERT_TRUE(held) << held.error().describe();
  EXPECT_EQ((*held)->field("token"), "t-1");
  auto other = grant("other.example.com");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(other.error().message.find("cannot be reached"), std::string::npos)
      << other.error().message;
  clock_.advance(11s);  // past expiresAt
  auto expired = grant();
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kUnavailable);
}

TEST_F(HubGrantSourceTest, ADenialIsPermissionDeniedWithTheReasonAndRememberedBriefly) {
  hub_.setMode(ScriptedHub::Mode::kDeny);
  auto denied = grant();
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.error().message.find("no access policy lets this workload in"),
            std::string::npos);
  EXPECT_FALSE(grant());
  EXPECT_EQ(hub_.calls(), 1);
  clock_.advance(3s);  // past the 2 s denied TTL
  hub_.setMode(ScriptedHub::Mode::kAuthorize);
  auto allowed = grant();
  ASSERT_TRUE(allowed) << allowed.error().describe();
  EXPECT_EQ(hub_.calls(), 2);
}

TEST_F(HubGrantSourceTest, ADenialRevokesAHeldGrant) {
  ASSERT_TRUE(grant());
  clock_.advance(81s);
  hub_.setMode(ScriptedHub::Mode::kDeny);
  ASSERT_TRUE(grant());  // held, refresh in the background
  waitForCalls(2);
  std::this_thread::sleep_for(50ms);
  auto after = grant();
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(HubGrantSourceTest, ForgetGrantsMakesTheNextRequestAskTheHubAgain) {
  ASSERT_TRUE(grant());
  ASSERT_TRUE(grant());
  EXPECT_EQ(hub_.calls(), 1);  // held
  hub_.setMode(ScriptedHub::Mode::kDeny);
  source().forgetGrants();  // the edge saw a new configuration revision
  EXPECT_EQ(source().stats().entries, 0u);
  auto after = grant();
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(hub_.calls(), 2);
}

TEST_F(HubGrantSourceTest, HeldGrantAnswersOnlyAFreshGrantForTheSameKeyAndNeverCallsTheHub) {
  const Target target{"api.example.com", 443, "http"};
  const ClientContext context{"10.1.2.3"};
  EXPECT_EQ(source().heldGrant(target, context), nullptr);  // nothing held yet
  EXPECT_EQ(hub_.calls(), 0);
  ASSERT_TRUE(grant());
  const auto hitsBefore = source().stats().hits;
  auto held = source().heldGrant(target, context);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->field("token"), "t-1");
  EXPECT_EQ(source().stats().hits, hitsBefore + 1);
  // Another host, port, protocol or client address is another key.
  EXPECT_EQ(source().heldGrant(Target{"api.example.com", 8443, "http"}, context), nullptr);
  EXPECT_EQ(source().heldGrant(Target{"other.example.com", 443, "http"}, context), nullptr);
  EXPECT_EQ(source().heldGrant(Target{"api.example.com", 443, "postgres"}, context), nullptr);
  EXPECT_EQ(source().heldGrant(target, ClientContext{"10.1.2.4"}), nullptr);
  // Past refreshAt the caller must go through grantFor (which refreshes in the background).
  clock_.advance(81s);
  EXPECT_EQ(source().heldGrant(target, context), nullptr);
  source().forgetGrants();
  clock_.advance(-81s);
  EXPECT_EQ(source().heldGrant(target, context), nullptr);
  EXPECT_EQ(hub_.calls(), 1);
}

TEST_F(HubGrantSourceTest, AHubErrorStatusIsUnavailableNamingIt) {
  hub_.setMode(ScriptedHub::Mode::kFail);
  auto failed = grant();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(failed.error().message.find("HTTP 500"), std::string::npos) << failed.error().message;
}

}  // namespace
}  // namespace tessera::edge
