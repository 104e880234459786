// The grant cache with a counting provider: single flight under 1,000 concurrent first requests
// on a multi-threaded io_context, refresh ahead of expiry, negative caching, LRU bound, the off
// switch, and what the key distinguishes.
#include "credentials/grant_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>
#include <thread>

namespace tessera::credentials {
namespace {

namespace asio = boost::asio;
using std::chrono::seconds;
const SystemTime kStart = SystemTime(seconds(1'796'061'600));

// An upstream that counts its calls, takes `latency` to answer, and fails while told to.
struct CountingUpstream {
  std::atomic<int> calls{0};
  std::atomic<bool> failing{false};
  std::chrono::milliseconds latency{0};
  seconds lifetime{100};

  asio::awaitable<Result<Credential>> issue(SystemTime now) {
    const int n = ++calls;
    if (latency.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, latency);
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (failing) {
      co_return Error{ErrorCode::kUnavailable, "upstream said no (call " + std::to_string(n) + ")"};
    }
    Credential c;
    c.type = "bearer-token";
    c.fields["token"] = "token-" + std::to_string(n);
    c.issuedAt = now;
    c.expiresAt = now + lifetime;
    co_return c;
  }

  GrantCache::Issue at(SystemTime now) {
    return [this, now]() { return issue(now); };
  }
};

GrantCache::Answer get(GrantCache& cache, const std::string& key, SystemTime now,
                       CountingUpstream& upstream) {
  asio::io_context io;
  std::optional<GrantCache::Answer> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        out.emplace(co_await cache.get(key, now, upstream.at(now)));
      },
      asio::detached);
  io.run();
  return std::move(*out);
}

std::string tokenOf(const GrantCache::Answer& a) {
  return a.credential ? a.credential->fields.at("token") : "error: " + a.credential.error().message;
}

TEST(GrantCache, AThousandConcurrentFirstRequestsMakeOneUpstreamCall) {
  GrantCache cache;
  CountingUpstream upstream;
  upstream.latency = std::chrono::milliseconds(50);  // all requests arrive while it is pending
  asio::io_context io;
  constexpr int kRequests = 1000;
  std::mutex mutex;
  std::vector<GrantCache::Answer> answers;
  for (int i = 0; i < kRequests; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto answer = co_await cache.get("key", kStart, upstream.at(kStart));
          std::lock_guard lock(mutex);
          answers.push_back(std::move(answer));
        },
        asio::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { io.run(); });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(upstream.calls.load(), 1);
  ASSERT_EQ(answers.size(), static_cast<std::size_t>(kRequests));
  std::set<std::string> tokens;
  int issued = 0;
  for (const auto& a : answers) {
    tokens.insert(tokenOf(a));
    issued += a.source == GrantCache::Source::kIssued ? 1 : 0;
  }
  EXPECT_EQ(tokens, std::set<std::string>{"token-1"});
  EXPECT_EQ(issued, 1);
  const auto stats = cache.stats();
  EXPECT_EQ(stats.issues, 1u);
  EXPECT_EQ(stats.shared + stats.hits, static_cast<std::uint64_t>(kRequests - 1));
}

TEST(GrantCache, RefreshesAheadOfExpiryWhileServingTheValidCredential) {
  GrantCache cache;  // refresh at 80%
  CountingUpstream upstream;
  auto first = get(cache, "k", kStart, upstream);
  EXPECT_EQ(tokenOf(first), "token-1");
  EXPECT_EQ(first.source, GrantCache::Source::kIssued);
  EXPECT_EQ(first.refreshAt, kStart + seconds(80));
  EXPECT_EQ(tokenOf(get(cache, "k", kStart + seconds(79), upstream)), "token-1");
  EXPECT_EQ(upstream.calls.load(), 1);
  auto refreshed = get(cache, "k", kStart + seconds(80), upstream);
  EXPECT_EQ(tokenOf(refreshed), "token-2");
  EXPECT_EQ(refreshed.refreshAt, kStart + seconds(160));
  auto later = get(cache, "k", kStart + seconds(81), upstream);
  EXPECT_EQ(tokenOf(later), "token-2");
  EXPECT_EQ(later.source, GrantCache::Source::kCached);
  EXPECT_EQ(upstream.calls.load(), 2);
}

TEST(GrantCache, AFailedRefreshKeepsServingTheValidCredentialAndIsNotRetriedAtOnce) {
  GrantCache cache;
  CountingUpstream upstream;
  EXPECT_EQ(tokenOf(get(cache, "k", kStart, upstream)), "token-1");
  upstream.failing = true;
  auto during = get(cache, "k", kStart + seconds(85), upstream);
  EXPECT_EQ(tokenOf(during), "token-1") << "still valid until 100 s";
  EXPECT_EQ(upstream.calls.load(), 2);
  EXPECT_EQ(tokenOf(get(cache, "k", kStart + seconds(87), upstream)), "token-1");
  EXPECT_EQ(upstream.calls.load(), 2) << "failure cached for 5 s";
  upstream.failing = false;
  EXPECT_EQ(tokenOf(get(cache, "k", kStart + seconds(90), upstream)), "token-3");
}

TEST(GrantCache, UpstreamFailuresAreCachedBriefly) {
  GrantCacheOptions options;
  options.negativeTtl = seconds(5);
  GrantCache cache(options);
  CountingUpstream upstream;
  upstream.failing = true;
  auto first = get(cache, "k", kStart, upstream);
  ASSERT_FALSE(first.credential.ok());
  EXPECT_EQ(first.source, GrantCache::Source::kIssued);
  auto cached = get(cache, "k", kStart + seconds(4), upstream);
  ASSERT_FALSE(cached.credential.ok());
  EXPECT_EQ(cached.source, GrantCache::Source::kFailureCached);
  EXPECT_EQ(cached.credential.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(cached.credential.error().message.find("upstream said no (call 1)"), std::string::npos);
  EXPECT_NE(cached.credential.error().message.find("failure cached until"), std::string::npos);
  EXPECT_EQ(upstream.calls.load(), 1);
  upstream.failing = false;
  EXPECT_EQ(tokenOf(get(cache, "k", kStart + seconds(5), upstream)), "token-2");
  EXPECT_EQ(cache.stats().failureHits, 1u);
}

TEST(GrantCache, ExpiredCredentialsAreIssuedAgain) {
  GrantCache cache;
  CountingUpstream upstream;
  get(cache, "k", kStart, upstream);
  EXPECT_EQ(tokenOf(get(cache, "k", kStart + seconds(100), upstream)), "token-2");
}

TEST(GrantCache, HoldsAtMostMaxEntriesLeastRecentlyUsedFirstOut) {
  GrantCacheOptions options;
  options.maxEntries = 2;
  GrantCache cache(options);
  CountingUpstream upstream;
  get(cache, "a", kStart, upstream);                                 // token-1
  get(cache, "b", kStart, upstream);                                 // token-2
  EXPECT_EQ(tokenOf(get(cache, "a", kStart, upstream)), "token-1");  // a is now the most recent
  get(cache, "c", kStart, upstream);                                 // token-3 evicts b
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(tokenOf(get(cache, "a", kStart, upstream)), "token-1");
  EXPECT_EQ(tokenOf(get(cache, "b", kStart, upstream)), "token-4") << "b was evicted";
  EXPECT_EQ(upstream.calls.load(), 4);
}

TEST(GrantCache, TurnedOffEveryRequestIssues) {
  GrantCacheOptions options;
  options.enabled = false;
  GrantCache cache(options);
  CountingUpstream upstream;
  for (int i = 1; i <= 3; ++i) {
    auto a = get(cache, "k", kStart, upstream);
    EXPECT_EQ(tokenOf(a), "token-" + std::to_string(i));
    EXPECT_EQ(a.refreshAt, kStart + seconds(80));
  }
  EXPECT_EQ(upstream.calls.load(), 3);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(GrantCache, TheKeyIsPolicyVerifiedIdentityServerWorkloadAndProviderVersion) {
  trust::VerifiedIdentity id;
  id.provider = "cluster";
  id.subject = "system:serviceaccount:sales:analytics";
  id.attributes.emplace("k8s.namespace", trust::Attribute{"sales", true, "cluster"});
  const std::vector<trust::VerifiedIdentity> ids{id};
  const auto base = GrantCache::keyFor("p", ids, "sw", "cp", 1);
  EXPECT_EQ(base, GrantCache::keyFor("p", ids, "sw", "cp", 1));
  EXPECT_NE(base, GrantCache::keyFor("p2", ids, "sw", "cp", 1));
  EXPECT_NE(base, GrantCache::keyFor("p", ids, "sw2", "cp", 1));
  EXPECT_NE(base, GrantCache::keyFor("p", ids, "sw", "cp2", 1));
  EXPECT_NE(base, GrantCache::keyFor("p", ids, "sw", "cp", 2)) << "a changed provider";
  auto other = ids;
  other[0].attributes["k8s.namespace"].value = "billing";
  EXPECT_NE(base, GrantCache::keyFor("p", other, "sw", "cp", 1));
  other = ids;
  other[0].subject = "system:serviceaccount:sales:other";
  EXPECT_NE(base, GrantCache::keyFor("p", other, "sw", "cp", 1));
  other = ids;
  other[0].provider = "cluster-2";
  EXPECT_NE(base, GrantCache::keyFor("p", other, "sw", "cp", 1));
  other = ids;
  other[0].attributes.emplace("sourceIp", trust::Attribute{"10.0.0.1", false, "context"});
  EXPECT_EQ(base, GrantCache::keyFor("p", other, "sw", "cp", 1))
      << "unverified context does not split the cache";
  // A fresh token of the same workload shares the grant; a nested claim named like one does not.
  other = ids;
  other[0].attributes.emplace("oidc.iat", trust::Attribute{"1796061600", true, "token"});
  other[0].attributes.emplace("oidc.exp", trust::Attribute{"1796065200", true, "token"});
  other[0].attributes.emplace("oidc.jti", trust::Attribute{"a1", true, "token"});
  auto fresher = other;
  fresher[0].attributes["oidc.iat"].value = "1796061900";
  fresher[0].attributes["oidc.exp"].value = "1796065500";
  fresher[0].attributes["oidc.jti"].value = "b2";
  EXPECT_EQ(GrantCache::keyFor("p", other, "sw", "cp", 1),
            GrantCache::keyFor("p", fresher, "sw", "cp", 1));
  EXPECT_EQ(base, GrantCache::keyFor("p", other, "sw", "cp", 1));
  fresher[0].attributes.emplace("oidc.app.exp", trust::Attribute{"x", true, "token"});
  EXPECT_NE(base, GrantCache::keyFor("p", fresher, "sw", "cp", 1));
  // No separator ambiguity.
  EXPECT_NE(GrantCache::keyFor("a", ids, "bc", "cp", 1),
            GrantCache::keyFor("ab", ids, "c", "cp", 1));
  // ... between an attribute's name and value, between attributes, or between identities.
  const auto withAttributes = [&](std::vector<std::pair<std::string, std::string>> attributes) {
    auto v = ids;
    v[0].attributes.clear();
    for (auto& [name, value] : attributes) {
      v[0].attributes.emplace(name, trust::Attribute{value, true, "cluster"});
    }
    return GrantCache::keyFor("p", v, "sw", "cp", 1);
  };
  EXPECT_NE(withAttributes({{"a", "bc"}}), withAttributes({{"ab", "c"}}));
  EXPECT_NE(withAttributes({{"a", "b"}, {"c", "d"}}), withAttributes({{"a", "bcd"}}));
  EXPECT_NE(withAttributes({{"a", ""}}), withAttributes({}));
  auto two = ids;
  two.push_back(ids[0]);
  two[1].provider = "cluster-2";
  auto merged = ids;
  merged[0].attributes.emplace("x", trust::Attribute{"y", true, "cluster"});
  EXPECT_NE(GrantCache::keyFor("p", two, "sw", "cp", 1),
            GrantCache::keyFor("p", merged, "sw", "cp", 1));
  EXPECT_NE(GrantCache::keyFor("p", two, "sw", "cp", 1), base);
  EXPECT_NE(GrantCache::keyFor("p", ids, "sw", "cp", -1),
            GrantCache::keyFor("p", ids, "sw", "cp", 1));
}

}  // namespace
}  // namespace tessera::credentials
