#include "trust/verified_token_cache.hpp"

#include <gtest/gtest.h>

namespace tessera::trust {
namespace {

using std::chrono::seconds;

const SystemTime kNow = SystemTime(std::chrono::seconds(1'800'000'000));

VerifiedIdentity identity(std::string subject, std::optional<SystemTime> expiresAt) {
  VerifiedIdentity id;
  id.provider = "k8s";
  id.subject = std::move(subject);
  id.expiresAt = expiresAt;
  return id;
}

TEST(VerifiedTokenCache, KeyIsADigestNeverTheToken) {
  const std::string token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  const auto key = VerifiedTokenCache::keyFor("k8s", 3, token);
  EXPECT_EQ(key.find("eyJ"), std::string::npos);
  EXPECT_EQ(key.size(), std::string("k8s\n3\n").size() + 32);
  EXPECT_NE(key, VerifiedTokenCache::keyFor("k8s", 4, token)) << "a changed provider re-verifies";
  EXPECT_NE(key, VerifiedTokenCache::keyFor("other", 3, token));
  EXPECT_NE(key, VerifiedTokenCache::keyFor("k8s", 3, token + "x"));
}

TEST(VerifiedTokenCache, HitUntilTheTokenExpires) {
  VerifiedTokenCache cache;
  const auto key = VerifiedTokenCache::keyFor("k8s", 1, "token");
  EXPECT_FALSE(cache.find(key, kNow));
  cache.insert(key, identity("pod", kNow + seconds(60)), kNow, Admission::kAtOnce);
  auto hit = cache.find(key, kNow + seconds(59));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->subject, "pod");
  EXPECT_FALSE(cache.find(key, kNow + seconds(60))) << "expires with the token";
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST(VerifiedTokenCache, NeverLongerThanMaxTtl) {
  VerifiedTokenCache cache({.maxEntries = 10, .maxTtl = seconds(30)});
  const auto key = VerifiedTokenCache::keyFor("k8s", 1, "token");
  cache.insert(key, identity("pod", kNow + seconds(3600)), kNow, Admission::kAtOnce);
  EXPECT_TRUE(cache.find(key, kNow + seconds(29)));
  EXPECT_FALSE(cache.find(key, kNow + seconds(30)));
  cache.insert(key, identity("pod", std::nullopt), kNow, Admission::kAtOnce);
  EXPECT_TRUE(cache.find(key, kNow + seconds(29)));
  EXPECT_FALSE(cache.find(key, kNow + seconds(31)));
}

TEST(VerifiedTokenCache, AlreadyExpiredIsNotCached) {
  VerifiedTokenCache cache;
  const auto key = VerifiedTokenCache::keyFor("k8s", 1, "token");
  cache.insert(key, identity("pod", kNow), kNow, Admission::kAtOnce);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(VerifiedTokenCache, BoundedLeastRecentlyUsedGoesFirst) {
  VerifiedTokenCache cache({.maxEntries = 3, .maxTtl = seconds(600)});
  for (int i = 0; i < 3; ++i) {
    cache.insert(VerifiedTokenCache::keyFor("p", 1, std::to_string(i)),
                 identity(std::to_string(i), std::nullopt), kNow, Admission::kAtOnce);
  }
  ASSERT_TRUE(cache.find(VerifiedTokenCache::keyFor("p", 1, "0"), kNow));  // 0 is now recent
  cache.insert(VerifiedTokenCache::keyFor("p", 1, "3"), identity("3", std::nullopt), kNow,
               Admission::kAtOnce);
  EXPECT_EQ(cache.stats().entries, 3u);
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_TRUE(cache.find(VerifiedTokenCache::keyFor("p", 1, "0"), kNow));
  EXPECT_FALSE(cache.find(VerifiedTokenCache::keyFor("p", 1, "1"), kNow)) << "1 was the oldest";
  EXPECT_TRUE(cache.find(VerifiedTokenCache::keyFor("p", 1, "2"), kNow));
  EXPECT_TRUE(cache.find(VerifiedTokenCache::keyFor("p", 1, "3"), kNow));
  for (int i = 0; i < 100; ++i) {
    cache.insert(VerifiedTokenCache::keyFor("p", 1, "x" + std::to_string(i)),
                 identity("x", std::nullopt), kNow, Admission::kAtOnce);
  }
  EXPECT_EQ(cache.stats().entries, 3u);
}

TEST(VerifiedTokenCache, ATokenIsCachedFromItsSecondVerification) {
  VerifiedTokenCache cache;
  const auto key = VerifiedTokenCache::keyFor("k8s", 1, "token");
  cache.insert(key, identity("pod", kNow + seconds(60)), kNow);
  EXPECT_FALSE(cache.find(key, kNow)) << "verified once: only its fingerprint is kept";
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().firstSightings, 1u);
  cache.insert(key, identity("pod", kNow + seconds(60)), kNow);
  const auto hit = cache.find(key, kNow);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->subject, "pod");
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.stats().firstSightings, 1u);
}

TEST(VerifiedTokenCache, TokensUsedOnceDoNotPushOutTokensInUse) {
  VerifiedTokenCache cache({.maxEntries = 3, .maxTtl = seconds(600)});
  for (int i = 0; i < 3; ++i) {
    const auto key = VerifiedTokenCache::keyFor("p", 1, std::to_string(i));
    cache.insert(key, identity(std::to_string(i), std::nullopt), kNow);
    cache.insert(key, identity(std::to_string(i), std::nullopt), kNow);
  }
  ASSERT_EQ(cache.stats().entries, 3u);
  for (int i = 0; i < 1000; ++i) {
    cache.insert(VerifiedTokenCache::keyFor("p", 1, "once-" + std::to_string(i)),
                 identity("once", std::nullopt), kNow);
  }
  EXPECT_EQ(cache.stats().evictions, 0u);
  EXPECT_EQ(cache.stats().firstSightings, 1003u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(cache.find(VerifiedTokenCache::keyFor("p", 1, std::to_string(i)), kNow)) << i;
  }
}

TEST(VerifiedTokenCache, AFingerprintPushedOutByAnotherMeansAnotherFirstSight) {
  // One slot: the second token's fingerprint takes the first one's place.
  VerifiedTokenCache cache({.maxEntries = 10, .maxTtl = seconds(600), .firstSightSlots = 1});
  const auto a = VerifiedTokenCache::keyFor("p", 1, "a");
  const auto b = VerifiedTokenCache::keyFor("p", 1, "b");
  cache.insert(a, identity("a", std::nullopt), kNow);
  cache.insert(b, identity("b", std::nullopt), kNow);
  cache.insert(a, identity("a", std::nullopt), kNow);
  EXPECT_FALSE(cache.find(a, kNow));
  cache.insert(a, identity("a", std::nullopt), kNow);
  EXPECT_TRUE(cache.find(a, kNow));
  EXPECT_FALSE(cache.find(b, kNow));
  EXPECT_EQ(cache.stats().firstSightings, 3u);
}

TEST(VerifiedTokenCache, CachedAtOnceWhenAskedOrWithoutFirstSightSlots) {
  VerifiedTokenCache cache;
  const auto key = VerifiedTokenCache::keyFor("aws", 1, "signed request");
  cache.insert(key, identity("role", std::nullopt), kNow, Admission::kAtOnce);
  EXPECT_TRUE(cache.find(key, kNow));

  VerifiedTokenCache noSlots({.maxEntries = 10, .maxTtl = seconds(600), .firstSightSlots = 0});
  noSlots.insert(key, identity("pod", std::nullopt), kNow);
  EXPECT_TRUE(noSlots.find(key, kNow));
  EXPECT_EQ(noSlots.stats().firstSightings, 0u);
}

TEST(VerifiedTokenCache, AnExpiredIdentityLeavesNoFingerprint) {
  VerifiedTokenCache cache;
  const auto key = VerifiedTokenCache::keyFor("k8s", 1, "token");
  cache.insert(key, identity("pod", kNow), kNow);
  cache.insert(key, identity("pod", kNow + seconds(60)), kNow);
  EXPECT_FALSE(cache.find(key, kNow)) << "the expired one was never a sighting";
  EXPECT_EQ(cache.stats().firstSightings, 1u);
}

}  // namespace
}  // namespace tessera::trust
