#include "crypto/random.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <set>
#include <string>
#include <thread>

namespace tessera::crypto {
namespace {

TEST(Random, GivesTheRequestedLengthsFromThePoolAndBeyondIt) {
  for (std::size_t n : {0, 1, 12, 63, 64, 65, 4096, 10000}) {
    EXPECT_EQ(randomBytes(n).size(), n);
  }
  EXPECT_EQ(randomToken(12).size(), 16u);  // 96 bits, unpadded base64url
}

TEST(Random, SmallDrawsNeverRepeatAcrossManyPoolRefills) {
  std::set<std::string> seen;
  for (int i = 0; i < 200000; ++i) {  // about 600 refills of the per-thread pool
    ASSERT_TRUE(seen.insert(randomToken(12)).second) << "repeated after " << i << " draws";
  }
}

TEST(Random, SmallDrawsAreUnbiased) {
  // 1 MB in 16-byte draws: every bit position is set close to half the time (6 sigma bound).
  std::array<long, 8> ones{};
  constexpr int kDraws = 65536;
  for (int i = 0; i < kDraws; ++i) {
    for (unsigned char byte : randomBytes(16)) {
      for (int bit = 0; bit < 8; ++bit) {
        ones[bit] += (byte >> bit) & 1;
      }
    }
  }
  const double n = kDraws * 16.0;
  for (long count : ones) {
    EXPECT_NEAR(count / n, 0.5, 6 * 0.5 / std::sqrt(n));
  }
}

TEST(Random, ThreadsDrawDifferentBytes) {
  std::string a, b;
  std::thread ta([&] { a = randomToken(32); });
  std::thread tb([&] { b = randomToken(32); });
  ta.join();
  tb.join();
  EXPECT_NE(a, b);
}

TEST(Random, AForkedChildDoesNotRepeatItsParentsBytes) {
  (void)randomBytes(16);  // the parent's pool now holds bytes a child would inherit
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const auto bytes = randomBytes(32);
    const bool ok = ::write(fds[1], bytes.data(), bytes.size()) == 32;
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::array<unsigned char, 32> fromChild{};
  ASSERT_EQ(::read(fds[0], fromChild.data(), fromChild.size()), 32);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto fromParent = randomBytes(32);
  EXPECT_NE(std::vector<unsigned char>(fromChild.begin(), fromChild.end()), fromParent);
}

}  // namespace
}  // namespace tessera::crypto
