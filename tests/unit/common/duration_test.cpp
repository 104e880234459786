#include "common/duration.hpp"

#include <gtest/gtest.h>

namespace tessera {
namespace {

using std::chrono::milliseconds;

TEST(Duration, Parses) {
  EXPECT_EQ(*parseDuration("90s"), milliseconds(90'000));
  EXPECT_EQ(*parseDuration("15m"), milliseconds(900'000));
  EXPECT_EQ(*parseDuration("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(*parseDuration("7d"), milliseconds(604'800'000));
  EXPECT_EQ(*parseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*parseDuration("1m500ms"), milliseconds(60'500));
}

TEST(Duration, Rejects) {
  for (const char* bad :
       {"", "s", "10", "10x", "-5s", " 5s", "5 s", "1.5h", "99999999999999999d"}) {
    auto r = parseDuration(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Duration, Formats) {
  EXPECT_EQ(formatDuration(milliseconds(5'400'000)), "1h30m");
  EXPECT_EQ(formatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(formatDuration(milliseconds(90'250)), "1m30s250ms");
}

}  // namespace
}  // namespace tessera
