#include "common/time_format.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <limits>
#include <random>
#include <string>

namespace tessera {
namespace {

TEST(TimeFormat, FormatsUtc) {
  EXPECT_EQ(formatUnixRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatUnixRfc3339(1777629600), "2026-05-01T10:00:00Z");
}

TEST(TimeFormat, AgreesWithGmtimeFromYear1To9999) {
  // Every day boundary, leap days and centuries included, and random instants in between.
  const auto viaGmtime = [](std::int64_t seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(buf);
  };
  constexpr std::int64_t kYear1 = -62135596800;     // 0001-01-01T00:00:00Z
  constexpr std::int64_t kYear9999 = 253402300799;  // 9999-12-31T23:59:59Z
  const auto checkDaysFrom = [&](std::int64_t from, std::int64_t to, std::int64_t stepDays) {
    for (std::int64_t day = from; day <= to; day += 86400 * stepDays) {
      ASSERT_EQ(formatUnixRfc3339(day), viaGmtime(day)) << day;
      ASSERT_EQ(formatUnixRfc3339(day + 86399), viaGmtime(day + 86399)) << day;
    }
  };
  checkDaysFrom(-2208988800, 4133980799, 1);  // every day of 1900 to 2100
  checkDaysFrom(kYear1, kYear9999, 29);       // every 29th day of the whole range
  std::mt19937_64 random(11);
  for (int i = 0; i < 200'000; ++i) {
    const auto t = kYear1 + static_cast<std::int64_t>(random() % (kYear9999 - kYear1 + 1));
    ASSERT_EQ(formatUnixRfc3339(t), viaGmtime(t)) << t;
  }
  EXPECT_EQ(formatUnixRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(formatUnixRfc3339(951782400), "2000-02-29T00:00:00Z");
  // Beyond what RFC 3339 can write, the number itself.
  EXPECT_EQ(formatUnixRfc3339(kYear9999 + 1), std::to_string(kYear9999 + 1));
  EXPECT_EQ(formatUnixRfc3339(kYear1 - 86400 * 366 - 1), std::to_string(kYear1 - 86400 * 366 - 1));
}

TEST(TimeFormat, TextHeldInPlaceIsTheSameText) {
  for (const std::int64_t t :
       {std::int64_t{0}, std::int64_t{1777629600}, std::int64_t{-1}, std::int64_t{253402300800},
        std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    EXPECT_EQ(std::string(unixRfc3339Text(t).view()), formatUnixRfc3339(t)) << t;
  }
  EXPECT_EQ(unixRfc3339Text(std::numeric_limits<std::int64_t>::min()).view(),
            "-9223372036854775808");
  EXPECT_EQ(unixRfc3339Text(-62167219200).view(), "0000-01-01T00:00:00Z");
  EXPECT_EQ(unixRfc3339Text(-62167219201).view(), "-62167219201");
  EXPECT_EQ(unixRfc3339Text(253402300799).view(), "9999-12-31T23:59:59Z");
  const SystemTime now = fromUnixSeconds(1777629600);
  EXPECT_EQ(std::string_view(rfc3339Text(now)), formatRfc3339(now));
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
