#include "common/glob.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace tessera {
namespace {

TEST(Glob, MatchesLiteralsAndStars) {
  EXPECT_TRUE(globMatch("", ""));
  EXPECT_FALSE(globMatch("", "a"));
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("*", "anything"));
  EXPECT_TRUE(globMatch("refs/heads/*", "refs/heads/main"));
  EXPECT_TRUE(globMatch("refs/heads/*", "refs/heads/"));
  EXPECT_FALSE(globMatch("refs/heads/*", "refs/tags/v1"));
  EXPECT_TRUE(globMatch("batch-*-worker", "batch-42-worker"));
  EXPECT_FALSE(globMatch("batch-*-worker", "batch-42-workers"));
  EXPECT_TRUE(globMatch("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(globMatch("*a*b*c*", "xxaxxcxxbxx"));
  EXPECT_TRUE(globMatch("a**b", "ab"));
  EXPECT_FALSE(globMatch("abc", "ab"));
  EXPECT_FALSE(globMatch("ab", "abc"));
  EXPECT_TRUE(globMatch("repo:org/*:ref:refs/heads/main", "repo:org/app:ref:refs/heads/main"));
}

TEST(Glob, IsCaseSensitiveAndTreatsOtherCharactersLiterally) {
  EXPECT_FALSE(globMatch("Main", "main"));
  EXPECT_FALSE(globMatch("a?c", "abc"));
  EXPECT_TRUE(globMatch("a?c", "a?c"));
  EXPECT_FALSE(globMatch("[ab]", "a"));
}

TEST(Glob, HostilePatternsStayFast) {
  const std::string text(10'000, 'a');
  const std::string pattern = std::string(50, '*') + "a*a*a*a*a*b";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(globMatch(pattern, text));
  // Greedy matching with one backtrack point is O(pattern x text) at worst, not exponential.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace tessera
