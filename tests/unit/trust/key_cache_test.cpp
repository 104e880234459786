#include "trust/key_cache.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "net/http_server.hpp"

namespace tessera::trust {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using json = nlohmann::json;

jose::Jwk makeKey(const std::string& kid) {
  jose::JwkGenerateOptions options;
  options.kid = kid;
  return *jose::Jwk::generate(jose::Algorithm::kEs256, options);
}

std::string jwksOf(const std::vector<jose::Jwk>& keys) {
  json doc = {{"keys", json::array()}};
  for (const auto& key : keys) {
    doc["keys"].push_back(key.toPublicJson());
  }
  return doc.dump();
}

// A real local identity provider: discovery and JWKS on 127.0.0.1, steerable by the tests.
class Issuer {
 public:
  enum class Mode { kOk, kError500, kRedirect, kOversized };

  struct State {
    std::atomic<int> discoveryHits{0};
    std::atomic<int> jwksHits{0};
    std::atomic<int> redirectTargetHits{0};
    std::atomic<int> delayMs{0};
    std::atomic<Mode> mode{Mode::kOk};
    std::atomic<std::uint16_t> port{0};
    std::mutex mutex;
    std::string jwks;
    std::string issuerOverride;   // the discovery document's issuer, when set
    std::string jwksUriOverride;  // the discovery document's jwks_uri, when set
    std::string cacheControl;

    std::string base() const { return "http://127.0.0.1:" + std::to_string(port.load()); }
  };

  explicit Issuer(std::string jwks) : state_(std::make_shared<State>()) {
    state_->jwks = std::move(jwks);
    net::Router router;
    auto st = state_;
    router.get(
        "/.well-known/openid-configuration", [st](net::Request&) -> asio::awaitable<net::Response> {
          st->discoveryHits++;
          if (st->mode.load() == Mode::kError500) {
            co_return net::textResponse(500, "down");
          }
          std::lock_guard lock(st->mutex);
          json doc = {{"issuer", st->issuerOverride.empty() ? st->base() : st->issuerOverride},
                      {"jwks_uri",
                       st->jwksUriOverride.empty() ? st->base() + "/jwks" : st->jwksUriOverride}};
          co_return net::jsonResponse(200, doc);
        });
    router.get("/jwks", [st](net::Request&) -> asio::awaitable<net::Response> {
      st->jwksHits++;
      if (int delay = st->delayMs.load(); delay > 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor,
                                 std::chrono::milliseconds(delay));
        co_await timer.async_wait(asio::use_awaitable);
      }
      switch (st->mode.load()) {
        case Mode::kError500:
          co_return net::textResponse(500, "down");
        case Mode::kRedirect: {
          auto res = net::textResponse(302, "");
          res.headers.set("Location", "/jwks-moved");
          co_return res;
        }
        case Mode::kOversized:
          co_return net::textResponse(200, std::string(600 * 1024, ' '), "application/json");
        case Mode::kOk:
          break;
      }
      std::lock_guard lock(st->mutex);
      auto res = net::textResponse(200, st->jwks, "application/json");
      if (!st->cacheControl.empty()) {
        res.headers.set("Cache-Control", st->cacheControl);
      }
      co_return res;
    });
    router.get("/jwks-moved", [st](net::Request&) {
      st->redirectTargetHits++;
      std::lock_guard lock(st->mutex);
      return net::textResponse(200, st->jwks, "application/json");
    });
    net::HttpServerOptions options;
    options.bind = "127.0.0.1:0";
    options.threads = 2;
    server_ = std::make_unique<net::HttpServer>(std::move(router), std::move(options));
    auto started = server_->start();
    if (!started) {
      ADD_FAILURE() << started.error().describe();
    }
    state_->port = server_->port();
  }
  ~Issuer() { server_->stop(1s); }

  State& state() { return *state_; }
  std::string base() const { return state_->base(); }
  void setJwks(std::string jwks) {
    std::lock_guard lock(state_->mutex);
    state_->jwks = std::move(jwks);
  }

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<net::HttpServer> server_;
};

class KeyCacheTest : public ::testing::Test {
 protected:
  KeyCacheTest() : k1_(makeKey("k1")), k2_(makeKey("k2")), issuer_(jwksOf({k1_})) {
    auto client = net::HttpClient::create();
    if (!client) {
      ADD_FAILURE() << client.error().describe();
    } else {
      client_ = *client;
    }
    makeCache(KeyCacheOptions());
  }

  void makeCache(KeyCacheOptions options) {
    cache_ = std::make_unique<KeyCache>(client_, clock_, options);
  }

  KeyLocation discovery() const {
    KeyLocation location;
    location.issuer = issuer_.base();
    return location;
  }

  // Runs the awaitable API to completion on ioc_.
  Result<CachedKeys> get(const KeyLocation& location, const std::string& kid) {
    std::optional<Result<CachedKeys>> out;
    asio::co_spawn(
        ioc_,
        [&]() -> asio::awaitable<void> {
          KeyLocation copy = location;
          std::string kidCopy = kid;
          out = co_await cache_->keys(std::move(copy), std::move(kidCopy));
        },
        asio::detached);
    ioc_.restart();
    ioc_.run();
    if (!out) {
      return fail(ErrorCode::kInternal, "coroutine did not finish");
    }
    return std::move(*out);
  }

  int discoveryHits() { return issuer_.state().discoveryHits.load(); }
  int jwksHits() { return issuer_.state().jwksHits.load(); }

  ManualClock clock_{fromUnixSeconds(1'800'000'000)};
  jose::Jwk k1_;
  jose::Jwk k2_;
  Issuer issuer_;
  asio::io_context ioc_;  // before the client and cache: pooled connections die first
  std::shared_ptr<net::HttpClient> client_;
  std::unique_ptr<KeyCache> cache_;
};

TEST_F(KeyCacheTest, DiscoveryThenJwks) {
  auto keys = get(discovery(), "k1");
  ASSERT_TRUE(keys) << keys.error().describe();
  ASSERT_NE(keys->jwks, nullptr);
  EXPECT_NE(keys->jwks->findByKid("k1"), nullptr);
  EXPECT_FALSE(keys->stale);
  EXPECT_EQ(keys->age, 0s);
  EXPECT_EQ(discoveryHits(), 1);
  EXPECT_EQ(jwksHits(), 1);
  auto stats = cache_->stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats.begin()->first, issuer_.base() + " discovery");
  EXPECT_EQ(stats.begin()->second.discoveryFetches, 1u);
  EXPECT_EQ(stats.begin()->second.jwksFetches, 1u);
  EXPECT_EQ(stats.begin()->second.failures, 0u);
}

TEST_F(KeyCacheTest, ExplicitJwksUriSkipsDiscovery) {
  KeyLocation location = discovery();
  location.jwksUri = issuer_.base() + "/jwks";
  auto keys = get(location, "k1");
  ASSERT_TRUE(keys) << keys.error().describe();
  EXPECT_NE(keys->jwks->findByKid("k1"), nullptr);
  EXPECT_EQ(discoveryHits(), 0);
  EXPECT_EQ(jwksHits(), 1);
}

TEST_F(KeyCacheTest, IssuerMismatchInDiscoveryIsRefused) {
  issuer_.state().issuerOverride = "https://evil.example";
  auto keys = get(discovery(), "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kJwksInvalid);
  EXPECT_NE(keys.error().message.find("https://evil.example"), std::string::npos);
  EXPECT_NE(keys.error().message.find(issuer_.base()), std::string::npos);
  EXPECT_EQ(jwksHits(), 0);
}

TEST_F(KeyCacheTest, PlainHttpOffLoopbackIsRefusedWithoutAnyRequest) {
  KeyLocation viaDiscovery;
  viaDiscovery.issuer = "http://issuer.example";
  auto keys = get(viaDiscovery, "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(keys.error().message.find("http://issuer.example"), std::string::npos);

  KeyLocation explicitUri;
  explicitUri.issuer = "https://issuer.example";
  explicitUri.jwksUri = "http://10.1.2.3/jwks";
  keys = get(explicitUri, "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(client_->stats().connectionsOpened, 0u);

  // The jwks_uri a discovery document names obeys the same rule.
  issuer_.state().jwksUriOverride = "http://issuer.example/jwks";
  keys = get(discovery(), "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kJwksInvalid);
  EXPECT_NE(keys.error().message.find("http://issuer.example/jwks"), std::string::npos);
  EXPECT_EQ(discoveryHits(), 1);
  EXPECT_EQ(jwksHits(), 0);
}

TEST_F(KeyCacheTest, CachedKeysServedWithoutRefetchUntilRefreshAhead) {
  ASSERT_TRUE(get(discovery(), "k1"));
  for (int i = 0; i < 5; ++i) {
    clock_.advance(2min);  // up to 10 min: below 80% of 15 min
    auto keys = get(discovery(), "k1");
    ASSERT_TRUE(keys);
    EXPECT_EQ(keys->age, Seconds(120 * (i + 1)));
  }
  EXPECT_EQ(discoveryHits(), 1);
  EXPECT_EQ(jwksHits(), 1);
}

TEST_F(KeyCacheTest, RefreshAheadRefreshesOnceAndOthersGetCurrentKeys) {
  ASSERT_TRUE(get(discovery(), "k1"));
  issuer_.setJwks(jwksOf({k2_, k1_}));
  clock_.advance(12min - 1s);
  ASSERT_TRUE(get(discovery(), "k1"));
  EXPECT_EQ(jwksHits(), 1);

  clock_.advance(2s);  // past 80% of 15 min
  issuer_.state().delayMs = 300;
  std::optional<Result<CachedKeys>> refresher;
  std::optional<Result<CachedKeys>> other;
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> {
        refresher = co_await cache_->keys(discovery(), std::string("k1"));
      },
      asio::detached);
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> {
        other = co_await cache_->keys(discovery(), std::string("k1"));
        EXPECT_FALSE(refresher.has_value()) << "the other caller must not wait for the refresh";
      },
      asio::detached);
  ioc_.restart();
  ioc_.run();
  ASSERT_TRUE(refresher && *refresher);
  ASSERT_TRUE(other && *other);
  EXPECT_NE((*refresher)->jwks->findByKid("k2"), nullptr);
  EXPECT_EQ((*other)->jwks->findByKid("k2"), nullptr);
  EXPECT_EQ(jwksHits(), 2);
  EXPECT_EQ(discoveryHits(), 2);

  issuer_.state().delayMs = 0;
  auto keys = get(discovery(), "k2");
  ASSERT_TRUE(keys);
  EXPECT_NE(keys->jwks->findByKid("k2"), nullptr);
  EXPECT_EQ(jwksHits(), 2);
}

TEST_F(KeyCacheTest, CacheControlMaxAgeIsHonouredAndClamped) {
  issuer_.state().cacheControl = "public, max-age=120";
  KeyLocation location = discovery();
  location.jwksUri = issuer_.base() + "/jwks";
  ASSERT_TRUE(get(location, "k1"));
  clock_.advance(95s);  // 80% of 120 s is 96 s
  ASSERT_TRUE(get(location, "k1"));
  EXPECT_EQ(jwksHits(), 1);
  clock_.advance(2s);
  ASSERT_TRUE(get(location, "k1"));
  EXPECT_EQ(jwksHits(), 2);

  // max-age=5 is clamped to 60 s: refreshed after 48 s, not after 4.
  issuer_.state().cacheControl = "max-age=5";
  clock_.advance(100s);
  ASSERT_TRUE(get(location, "k1"));
  EXPECT_EQ(jwksHits(), 3);
  clock_.advance(47s);
  ASSERT_TRUE(get(location, "k1"));
  EXPECT_EQ(jwksHits(), 3);
  clock_.advance(2s);
  ASSERT_TRUE(get(location, "k1"));
  EXPECT_EQ(jwksHits(), 4);
}

TEST_F(KeyCacheTest, UnknownKidRefreshesOnceRateLimited) {
  ASSERT_TRUE(get(discovery(), "k1"));
  EXPECT_EQ(jwksHits(), 1);

  auto keys = get(discovery(), "forged-1");
  ASSERT_TRUE(keys);  // the current keys; verification will then report the unknown kid
  EXPECT_EQ(jwksHits(), 2);

  clock_.advance(29s);
  keys = get(discovery(), "forged-2");
  ASSERT_TRUE(keys);
  EXPECT_EQ(jwksHits(), 2);

  // Rotation after the interval: the new kid is found by one refresh.
  issuer_.setJwks(jwksOf({k2_}));
  clock_.advance(2s);
  keys = get(discovery(), "k2");
  ASSERT_TRUE(keys);
  EXPECT_NE(keys->jwks->findByKid("k2"), nullptr);
  EXPECT_EQ(jwksHits(), 3);
  keys = get(discovery(), "k2");
  EXPECT_EQ(jwksHits(), 3);
}

TEST_F(KeyCacheTest, IssuerDownKeepsLastGoodKeys) {
  ASSERT_TRUE(get(discovery(), "k1"));
  issuer_.state().mode = Issuer::Mode::kError500;
  clock_.advance(16min);
  auto keys = get(discovery(), "k1");
  ASSERT_TRUE(keys) << keys.error().describe();
  EXPECT_NE(keys->jwks->findByKid("k1"), nullptr);
  EXPECT_TRUE(keys->stale);
  EXPECT_EQ(keys->age, 16min);
  EXPECT_NE(keys->lastError.find("HTTP 500"), std::string::npos) << keys->lastError;
  EXPECT_EQ(discoveryHits(), 2);

  // No new attempt within the failure backoff, even for an unknown kid.
  keys = get(discovery(), "forged");
  ASSERT_TRUE(keys);
  EXPECT_EQ(discoveryHits(), 2);
  EXPECT_EQ(cache_->stats().begin()->second.failures, 1u);

  // Back up: the next attempt after the backoff refreshes.
  issuer_.state().mode = Issuer::Mode::kOk;
  clock_.advance(11s);
  keys = get(discovery(), "k1");
  ASSERT_TRUE(keys);
  EXPECT_FALSE(keys->stale);
  EXPECT_EQ(keys->age, 0s);
  EXPECT_EQ(keys->lastError, "");
  EXPECT_EQ(jwksHits(), 2);
}

TEST_F(KeyCacheTest, NeverHadKeysAndIssuerDownIsUnavailable) {
  issuer_.state().mode = Issuer::Mode::kError500;
  auto keys = get(discovery(), "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(keys.error().message.find(issuer_.base() + "/.well-known/openid-configuration"),
            std::string::npos)
      << keys.error().message;
  EXPECT_NE(keys.error().message.find("HTTP 500"), std::string::npos);

  // Failures back off too: a flood of tokens for a down issuer is not a flood of requests.
  keys = get(discovery(), "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(discoveryHits(), 1);
  issuer_.state().mode = Issuer::Mode::kOk;
  clock_.advance(11s);
  keys = get(discovery(), "k1");
  ASSERT_TRUE(keys) << keys.error().describe();
  EXPECT_EQ(discoveryHits(), 2);

  // Nothing listening at all.
  KeyLocation closed;
  closed.issuer = "http://127.0.0.1:1";
  closed.jwksUri = "http://127.0.0.1:1/jwks";
  keys = get(closed, "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(keys.error().message.find("http://127.0.0.1:1/jwks"), std::string::npos);
}

TEST_F(KeyCacheTest, TimeoutIsUnavailable) {
  KeyCacheOptions options;
  options.timeout = 200ms;
  makeCache(options);
  issuer_.state().delayMs = 1000;
  KeyLocation location = discovery();
  location.jwksUri = issuer_.base() + "/jwks";
  auto keys = get(location, "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(keys.error().message.find("timeout"), std::string::npos) << keys.error().message;
}

TEST_F(KeyCacheTest, OversizedJwksIsRefused) {
  issuer_.state().mode = Issuer::Mode::kOversized;
  auto keys = get(discovery(), "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(keys.error().message.find("upstream_response_too_large"), std::string::npos)
      << keys.error().message;
}

TEST_F(KeyCacheTest, RedirectIsNotFollowed) {
  issuer_.state().mode = Issuer::Mode::kRedirect;
  auto keys = get(discovery(), "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(keys.error().message.find("HTTP 302"), std::string::npos) << keys.error().message;
  EXPECT_EQ(issuer_.state().redirectTargetHits.load(), 0);
}

TEST_F(KeyCacheTest, ConcurrentCallersOnAColdCacheShareOneFetch) {
  issuer_.state().delayMs = 200;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(
        ioc_,
        [&]() -> asio::awaitable<void> {
          auto keys = co_await cache_->keys(discovery(), std::string("k1"));
          if (keys && keys->jwks->findByKid("k1") != nullptr) {
            ok++;
          }
        },
        asio::detached);
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([this] { ioc_.run(); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(discoveryHits(), 1);
  EXPECT_EQ(jwksHits(), 1);
}

TEST_F(KeyCacheTest, BlockingCallersShareOneFetch) {
  issuer_.state().delayMs = 200;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto keys = cache_->keysBlocking(discovery(), "k1");
      if (keys && keys->jwks->findByKid("k1") != nullptr) {
        ok++;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(discoveryHits(), 1);
  EXPECT_EQ(jwksHits(), 1);
}

TEST_F(KeyCacheTest, InlineJwksNeedsNoNetwork) {
  KeyLocation location;
  location.issuer = "https://private-cluster.example";
  location.inlineJwks = jwksOf({k1_});
  auto keys = get(location, "k1");
  ASSERT_TRUE(keys) << keys.error().describe();
  EXPECT_NE(keys->jwks->findByKid("k1"), nullptr);
  clock_.advance(48h);
  keys = cache_->keysBlocking(location, "unknown");
  ASSERT_TRUE(keys);
  EXPECT_FALSE(keys->stale);
  EXPECT_EQ(client_->stats().connectionsOpened, 0u);

  location.inlineJwks = R"({"keys": "nope"})";
  keys = get(location, "k1");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kJwksInvalid);
}

}  // namespace
}  // namespace tessera::trust
