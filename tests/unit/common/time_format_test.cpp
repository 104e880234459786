#include "common/time_format.hpp"

#include <gtest/gtest.h>

namespace tessera {
namespace {

TEST(TimeFormat, FormatsUtc) {
  EXPECT_EQ(formatUnixRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatUnixRfc3339(1777629600), "2026-05-01T10:00:00Z");
}

TEST(TimeFormat, ParsesRoundTrip) {
  auto t = parseRfc3339("2026-05-01T10:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(toUnixSeconds(*t), 1777629600);
  auto withOffset = parseRfc3339("2026-05-01T12:00:00.123+02:00");
  ASSERT_TRUE(withOffset.ok());
  EXPECT_EQ(toUnixSeconds(*withOffset), 1777629600);
}

TEST(TimeFormat, RejectsGarbage) {
  for (const char* bad :
       {"", "2026-05-01", "2026-13-01T00:00:00Z", "2026-05-01T10:00:00", "2026-05-01T10:00:00Zjunk",
        "2026-05-01T10:00:00.Z", "2026-05-01T25:00:00Z", "2026-05-01T10:00:00+0200"}) {
    EXPECT_FALSE(parseRfc3339(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tessera
