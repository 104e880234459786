#include "conditions/time_condition.hpp"

#include <gtest/gtest.h>

#include <date/date.h>

#include <string>
#include <vector>

#include "condition_test_support.hpp"

namespace tessera::conditions {
namespace {

using namespace testing;
using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

json timeSpec(const std::string& zone, const json& schedule) {
  return json{{"type", "time"}, {"timeZone", zone}, {"schedule", schedule}};
}

json window(std::vector<std::string> days, const std::string& start, const std::string& end) {
  return json{{"days", days}, {"start", start}, {"end", end}};
}

std::string text(TimePoint t) {
  return date::format("%F %T", date::floor<seconds>(t)) + "Z";
}

// The UTC spans, at minute resolution, during which the condition passes within [from, to).
std::vector<std::string> passingSpans(const Condition& condition, TimePoint from, TimePoint to) {
  std::vector<std::string> spans;
  std::optional<TimePoint> open;
  for (auto t = from; t < to; t += minutes{1}) {
    const bool passed = at(condition, t).passed;
    if (passed && !open) {
      open = t;
    } else if (!passed && open) {
      spans.push_back(text(*open) + " - " + text(t));
      open.reset();
    }
  }
  if (open) {
    spans.push_back(text(*open) + " - " + text(to) + " (still open)");
  }
  return spans;
}

const std::vector<std::string> kWeek = {"mon", "tue", "wed", "thu", "fri"};

// ---- compile ----

TEST(TimeCondition, UnknownZoneFailsNamingTimeZone) {
  auto c =
      compileCondition(accessCondition(timeSpec("Mars/Olympus_Mons",
                                                json::array({window(kWeek, "08:00", "19:00")}))),
                       {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(c.error().message.find("/spec/timeZone"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("Mars/Olympus_Mons"), std::string::npos);
  ASSERT_EQ(c.error().fields.size(), 1u);
  EXPECT_EQ(c.error().fields[0].pointer, "/spec/timeZone");
}

TEST(TimeCondition, ZoneNamesAreNotPaths) {
  for (const char* zone : {"../../../etc/passwd", "/usr/share/zoneinfo/UTC", "", "europe/paris"}) {
    auto c = compileCondition(
        accessCondition(timeSpec(zone, json::array({window(kWeek, "08:00", "19:00")}))), {});
    ASSERT_FALSE(c.ok()) << zone;
    EXPECT_EQ(c.error().fields.at(0).pointer, "/spec/timeZone") << zone;
  }
}

TEST(TimeCondition, KnownZonesAndLinksCompile) {
  for (const char* zone : {"Europe/Paris", "America/New_York", "UTC", "Asia/Kolkata",
                           "America/Los_Angeles", "Australia/Lord_Howe"}) {
    EXPECT_TRUE(
        compileCondition(
            accessCondition(timeSpec(zone, json::array({window(kWeek, "08:00", "19:00")}))), {})
            .ok())
        << zone;
  }
}

TEST(TimeCondition, SpecsThatBypassedValidationAreErrorsNotCrashes) {
  const auto pointerOf = [](const json& spec) {
    auto c = compileCondition(accessCondition(spec), {});
    return c.ok() ? std::string("(compiled)") : c.error().fields.at(0).pointer;
  };
  EXPECT_EQ(pointerOf(json{{"type", "time"}, {"schedule", json::array()}}), "/spec/timeZone");
  EXPECT_EQ(pointerOf(json{{"type", "time"}, {"timeZone", "UTC"}}), "/spec/schedule");
  EXPECT_EQ(pointerOf(timeSpec("UTC", json::array({window(kWeek, "08:00", "08:00")}))),
            "/spec/schedule/0/end");
  EXPECT_EQ(pointerOf(timeSpec("UTC", json::array({window(kWeek, "8:00", "09:00")}))),
            "/spec/schedule/0/start");
  EXPECT_EQ(pointerOf(timeSpec("UTC", json::array({window(kWeek, "08:00", "24:01")}))),
            "/spec/schedule/0/end");
  EXPECT_EQ(pointerOf(timeSpec("UTC", json::array({window({"monday"}, "08:00", "09:00")}))),
            "/spec/schedule/0/days");
  EXPECT_EQ(pointerOf(timeSpec("UTC", json::array({window({}, "08:00", "09:00")}))),
            "/spec/schedule/0/days");
  EXPECT_EQ(pointerOf(timeSpec("UTC", json::array({42}))), "/spec/schedule/0");
}

// ---- plain windows ----

class TimeConditionBusinessHours : public ::testing::Test {
 protected:
  std::unique_ptr<const Condition> c_ =
      compiled(timeSpec("Europe/Paris", json::array({window(kWeek, "08:00", "19:00")})));
};

TEST_F(TimeConditionBusinessHours, OutsideReasonNamesDayTimeZoneAndSchedule) {
  // Tuesday 2024-03-05, CET (UTC+1): 20:15 local is 19:15Z.
  const auto o = at(*c_, utc(2024, 3, 5, 19, 15));
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "Tuesday 20:15 Europe/Paris (CET) is outside mon-fri 08:00-19:00");
}

TEST_F(TimeConditionBusinessHours, InsideReasonNamesTheWindow) {
  const auto o = at(*c_, utc(2024, 7, 9, 8, 30));  // Tuesday 10:30 CEST
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.reason, "Tuesday 10:30 Europe/Paris (CEST) is inside mon-fri 08:00-19:00");
}

TEST_F(TimeConditionBusinessHours, StartIsInclusiveEndIsExclusive) {
  EXPECT_FALSE(at(*c_, utc(2024, 3, 5, 6, 59, 59)).passed);  // 07:59:59
  EXPECT_FALSE(at(*c_, utc(2024, 3, 5, 7, 0) - std::chrono::milliseconds{1}).passed);
  EXPECT_TRUE(at(*c_, utc(2024, 3, 5, 7, 0)).passed);        // 08:00:00
  EXPECT_TRUE(at(*c_, utc(2024, 3, 5, 17, 59, 59)).passed);  // 18:59:59
  EXPECT_TRUE(at(*c_, utc(2024, 3, 5, 18, 0) - std::chrono::milliseconds{1}).passed);
  EXPECT_FALSE(at(*c_, utc(2024, 3, 5, 18, 0)).passed);  // 19:00:00
  EXPECT_EQ(at(*c_, utc(2024, 3, 5, 18, 0)).reason,
            "Tuesday 19:00 Europe/Paris (CET) is outside mon-fri 08:00-19:00");
}

TEST_F(TimeConditionBusinessHours, EveryWeekday) {
  // Monday 2024-03-04 to Sunday 2024-03-10, at noon local (11:00Z).
  const char* names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                         "Friday", "Saturday", "Sunday"};
  for (unsigned i = 0; i < 7; ++i) {
    const auto o = at(*c_, utc(2024, 3, 4 + i, 11, 0));
    EXPECT_EQ(o.passed, i < 5) << names[i];
    EXPECT_EQ(o.reason.rfind(std::string(names[i]) + " 12:00 Europe/Paris (CET) is ", 0), 0u)
        << o.reason;
    EXPECT_NE(o.reason.find(i < 5 ? " is inside " : " is outside "), std::string::npos);
  }
}

TEST_F(TimeConditionBusinessHours, ExactSpansOverAWeek) {
  EXPECT_EQ(passingSpans(*c_, utc(2024, 3, 4, 0, 0), utc(2024, 3, 11, 0, 0)),
            (std::vector<std::string>{
                "2024-03-04 07:00:00Z - 2024-03-04 18:00:00Z",
                "2024-03-05 07:00:00Z - 2024-03-05 18:00:00Z",
                "2024-03-06 07:00:00Z - 2024-03-06 18:00:00Z",
                "2024-03-07 07:00:00Z - 2024-03-07 18:00:00Z",
                "2024-03-08 07:00:00Z - 2024-03-08 18:00:00Z",
            }));
}

TEST(TimeCondition, EachSingleDayPassesOnlyOnThatDay) {
  const std::vector<std::string> days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (unsigned i = 0; i < 7; ++i) {
    auto c = compiled(timeSpec("UTC", json::array({window({days[i]}, "00:00", "24:00")})));
    for (unsigned d = 0; d < 7; ++d) {
      // 2024-01-01 is a Monday.
      EXPECT_EQ(at(*c, utc(2024, 1, 1 + d, 12, 0)).passed, d == i) << days[i] << " day " << d;
      EXPECT_EQ(at(*c, utc(2024, 1, 1 + d, 0, 0)).passed, d == i) << days[i] << " day " << d;
      EXPECT_EQ(at(*c, utc(2024, 1, 1 + d, 23, 59, 59)).passed, d == i) << days[i] << " " << d;
    }
  }
}

TEST(TimeCondition, EndOfDayIs2400) {
  auto c = compiled(timeSpec("UTC", json::array({window({"sat"}, "18:00", "24:00")})));
  EXPECT_FALSE(at(*c, utc(2024, 1, 6, 17, 59, 59)).passed);  // Saturday
  EXPECT_TRUE(at(*c, utc(2024, 1, 6, 18, 0)).passed);
  EXPECT_TRUE(at(*c, utc(2024, 1, 6, 23, 59, 59)).passed);
  EXPECT_EQ(at(*c, utc(2024, 1, 6, 23, 59, 59)).reason,
            "Saturday 23:59 UTC (UTC) is inside sat 18:00-24:00");
  EXPECT_FALSE(at(*c, utc(2024, 1, 7, 0, 0)).passed);  // Sunday 00:00: not wrapped
  EXPECT_EQ(at(*c, utc(2024, 1, 7, 0, 0)).reason,
            "Sunday 00:00 UTC (UTC) is outside sat 18:00-24:00");
}

TEST(TimeCondition, MultipleWindowsAnyMayMatchAndAllAreListed) {
  auto c = compiled(timeSpec("UTC", json::array({window(kWeek, "08:00", "12:00"),
                                                 window({"mon", "wed", "fri"}, "13:00", "17:00"),
                                                 window({"sun", "sat"}, "10:00", "11:00")})));
  EXPECT_TRUE(at(*c, utc(2024, 1, 1, 9, 0)).passed);    // Monday
  EXPECT_TRUE(at(*c, utc(2024, 1, 1, 14, 0)).passed);   // Monday afternoon
  EXPECT_FALSE(at(*c, utc(2024, 1, 2, 14, 0)).passed);  // Tuesday afternoon
  EXPECT_TRUE(at(*c, utc(2024, 1, 7, 10, 30)).passed);  // Sunday
  const auto o = at(*c, utc(2024, 1, 2, 12, 30));
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason,
            "Tuesday 12:30 UTC (UTC) is outside mon-fri 08:00-12:00, mon,wed,fri 13:00-17:00, "
            "sat,sun 10:00-11:00");
  EXPECT_EQ(at(*c, utc(2024, 1, 1, 14, 0)).reason,
            "Monday 14:00 UTC (UTC) is inside mon,wed,fri 13:00-17:00");
}

TEST(TimeCondition, DayListsAreShownInWeekOrder) {
  auto c = compiled(timeSpec(
      "UTC", json::array({window({"sun", "fri", "sat", "mon", "thu"}, "08:00", "09:00")})));
  EXPECT_EQ(at(*c, utc(2024, 1, 2, 12, 0)).reason,
            "Tuesday 12:00 UTC (UTC) is outside mon,thu-sun 08:00-09:00");
}

// ---- wrap-around windows ----

class TimeConditionNights : public ::testing::Test {
 protected:
  // Friday night into Saturday morning; 2024-03-08 is a Friday, CET (UTC+1).
  std::unique_ptr<const Condition> c_ =
      compiled(timeSpec("Europe/Paris", json::array({window({"fri"}, "22:00", "06:00")})));
};

TEST_F(TimeConditionNights, WindowStartsOnTheListedDay) {
  EXPECT_FALSE(at(*c_, utc(2024, 3, 8, 20, 59, 59)).passed);  // Fri 21:59:59
  const auto start = at(*c_, utc(2024, 3, 8, 21, 0));         // Fri 22:00
  EXPECT_TRUE(start.passed);
  EXPECT_EQ(start.reason, "Friday 22:00 Europe/Paris (CET) is inside fri 22:00-06:00");
}

TEST_F(TimeConditionNights, RunsIntoTheNextDayAndSaysWhenItStarted) {
  const auto midnight = at(*c_, utc(2024, 3, 8, 23, 0));  // Sat 00:00
  EXPECT_TRUE(midnight.passed);
  EXPECT_EQ(midnight.reason,
            "Saturday 00:00 Europe/Paris (CET) is inside fri 22:00-06:00 (started Friday)");
  EXPECT_TRUE(at(*c_, utc(2024, 3, 9, 4, 59, 59)).passed);  // Sat 05:59:59
  const auto end = at(*c_, utc(2024, 3, 9, 5, 0));          // Sat 06:00
  EXPECT_FALSE(end.passed);
  EXPECT_EQ(end.reason, "Saturday 06:00 Europe/Paris (CET) is outside fri 22:00-06:00");
}

TEST_F(TimeConditionNights, TheDayListRefersToTheStartDayOnly) {
  EXPECT_FALSE(at(*c_, utc(2024, 3, 9, 21, 30)).passed);  // Sat 22:30: sat not listed
  EXPECT_FALSE(at(*c_, utc(2024, 3, 10, 0, 30)).passed);  // Sun 01:30
  EXPECT_FALSE(at(*c_, utc(2024, 3, 8, 0, 30)).passed);   // Fri 01:30: thu not listed
  EXPECT_FALSE(at(*c_, utc(2024, 3, 7, 21, 30)).passed);  // Thu 22:30
  EXPECT_EQ(passingSpans(*c_, utc(2024, 3, 4, 0, 0), utc(2024, 3, 11, 0, 0)),
            (std::vector<std::string>{"2024-03-08 21:00:00Z - 2024-03-09 05:00:00Z"}));
}

TEST(TimeCondition, WrapAcrossTheEndOfTheWeek) {
  auto c = compiled(timeSpec("UTC", json::array({window({"sun"}, "22:00", "02:00")})));
  // 2024-01-07 is a Sunday, 2024-01-08 a Monday.
  EXPECT_TRUE(at(*c, utc(2024, 1, 7, 23, 0)).passed);
  const auto monday = at(*c, utc(2024, 1, 8, 1, 59));
  EXPECT_TRUE(monday.passed);
  EXPECT_EQ(monday.reason, "Monday 01:59 UTC (UTC) is inside sun 22:00-02:00 (started Sunday)");
  EXPECT_FALSE(at(*c, utc(2024, 1, 8, 2, 0)).passed);
  EXPECT_FALSE(at(*c, utc(2024, 1, 7, 1, 0)).passed);  // Sunday morning: saturday not listed
}

TEST(TimeCondition, EveryNightOfTheWeekJoinsUp) {
  auto c = compiled(timeSpec(
      "UTC",
      json::array({window({"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "20:00", "08:00")})));
  EXPECT_EQ(passingSpans(*c, utc(2024, 1, 1, 0, 0), utc(2024, 1, 3, 0, 0)),
            (std::vector<std::string>{"2024-01-01 00:00:00Z - 2024-01-01 08:00:00Z",
                                      "2024-01-01 20:00:00Z - 2024-01-02 08:00:00Z",
                                      "2024-01-02 20:00:00Z - 2024-01-03 00:00:00Z (still open)"}));
}

TEST(TimeCondition, StartAtMidnightEndingNextDay) {
  // "00:00" to "24:00" is the whole day; "24:00" as a start begins at the next midnight.
  auto whole = compiled(timeSpec("UTC", json::array({window({"wed"}, "00:00", "24:00")})));
  EXPECT_EQ(passingSpans(*whole, utc(2024, 1, 1, 0, 0), utc(2024, 1, 8, 0, 0)),
            (std::vector<std::string>{"2024-01-03 00:00:00Z - 2024-01-04 00:00:00Z"}));
  auto late = compiled(timeSpec("UTC", json::array({window({"wed"}, "24:00", "01:00")})));
  EXPECT_EQ(passingSpans(*late, utc(2024, 1, 1, 0, 0), utc(2024, 1, 8, 0, 0)),
            (std::vector<std::string>{"2024-01-04 00:00:00Z - 2024-01-04 01:00:00Z"}));
}

// ---- daylight saving time ----
// Europe/Paris: 2024-03-31 02:00 CET -> 03:00 CEST at 01:00Z; 2024-10-27 03:00 CEST -> 02:00 CET
// at 01:00Z. America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT at 07:00Z; 2024-11-03 02:00 EDT
// -> 01:00 EST at 06:00Z. All four days are Sundays.

TEST(TimeConditionDst, ParisSpringForwardSkippedHourNeverPasses) {
  auto c = compiled(timeSpec("Europe/Paris", json::array({window({"sun"}, "02:00", "03:00")})));
  EXPECT_TRUE(passingSpans(*c, utc(2024, 3, 30, 12, 0), utc(2024, 4, 1, 0, 0)).empty());
  EXPECT_EQ(at(*c, utc(2024, 3, 31, 0, 59, 59)).reason,
            "Sunday 01:59 Europe/Paris (CET) is outside sun 02:00-03:00");
  EXPECT_EQ(at(*c, utc(2024, 3, 31, 1, 0)).reason,
            "Sunday 03:00 Europe/Paris (CEST) is outside sun 02:00-03:00");
  // A normal Sunday has the hour.
  EXPECT_EQ(passingSpans(*c, utc(2024, 3, 24, 0, 0), utc(2024, 3, 25, 0, 0)),
            (std::vector<std::string>{"2024-03-24 01:00:00Z - 2024-03-24 02:00:00Z"}));
}

TEST(TimeConditionDst, ParisSpringForwardWindowsOverTheGapAreShorter) {
  auto across =
      compiled(timeSpec("Europe/Paris", json::array({window({"sun"}, "01:00", "04:00")})));
  // 01:00 CET = 00:00Z to 04:00 CEST = 02:00Z: two real hours.
  EXPECT_EQ(passingSpans(*across, utc(2024, 3, 30, 12, 0), utc(2024, 4, 1, 0, 0)),
            (std::vector<std::string>{"2024-03-31 00:00:00Z - 2024-03-31 02:00:00Z"}));
  // A window starting inside the gap opens at the first local time that exists.
  auto fromGap =
      compiled(timeSpec("Europe/Paris", json::array({window({"sun"}, "02:30", "05:00")})));
  EXPECT_EQ(passingSpans(*fromGap, utc(2024, 3, 30, 12, 0), utc(2024, 4, 1, 0, 0)),
            (std::vector<std::string>{"2024-03-31 01:00:00Z - 2024-03-31 03:00:00Z"}));
  EXPECT_EQ(at(*fromGap, utc(2024, 3, 31, 1, 0)).reason,
            "Sunday 03:00 Europe/Paris (CEST) is inside sun 02:30-05:00");
  // A window ending inside the gap closes when the clock jumps.
  auto toGap = compiled(timeSpec("Europe/Paris", json::array({window({"sun"}, "01:00", "02:30")})));
  EXPECT_EQ(passingSpans(*toGap, utc(2024, 3, 30, 12, 0), utc(2024, 4, 1, 0, 0)),
            (std::vector<std::string>{"2024-03-31 00:00:00Z - 2024-03-31 01:00:00Z"}));
  EXPECT_TRUE(at(*toGap, utc(2024, 3, 31, 0, 59, 59)).passed);
  EXPECT_FALSE(at(*toGap, utc(2024, 3, 31, 1, 0)).passed);
}

TEST(TimeConditionDst, ParisFallBackRepeatedHourPassesTwice) {
  auto c = compiled(timeSpec("Europe/Paris", json::array({window({"sun"}, "02:00", "03:00")})));
  // 02:00 CEST (00:00Z) through the repeated 02:00-02:59 CET until 03:00 CET (02:00Z).
  EXPECT_EQ(passingSpans(*c, utc(2024, 10, 26, 12, 0), utc(2024, 10, 28, 0, 0)),
            (std::vector<std::string>{"2024-10-27 00:00:00Z - 2024-10-27 02:00:00Z"}));
  EXPECT_EQ(at(*c, utc(2024, 10, 27, 0, 30)).reason,
            "Sunday 02:30 Europe/Paris (CEST) is inside sun 02:00-03:00");
  EXPECT_EQ(at(*c, utc(2024, 10, 27, 1, 30)).reason,
            "Sunday 02:30 Europe/Paris (CET) is inside sun 02:00-03:00");
  EXPECT_FALSE(at(*c, utc(2024, 10, 26, 23, 59, 59)).passed);  // 01:59:59 CEST
  EXPECT_FALSE(at(*c, utc(2024, 10, 27, 2, 0)).passed);        // 03:00 CET
}

TEST(TimeConditionDst, ParisFallBackWindowEndingAtTheRepeatedHour) {
  auto c = compiled(timeSpec("Europe/Paris", json::array({window({"sun"}, "01:00", "02:00")})));
  // 01:00-01:59 CEST only; the second 02:00 (CET) is still outside.
  EXPECT_EQ(passingSpans(*c, utc(2024, 10, 26, 12, 0), utc(2024, 10, 28, 0, 0)),
            (std::vector<std::string>{"2024-10-26 23:00:00Z - 2024-10-27 00:00:00Z"}));
}

TEST(TimeConditionDst, ParisWrapWindowOverFallBackNight) {
  // Saturday 22:00 to Sunday 03:00: 22:00 CEST (20:00Z) to 03:00 CET (02:00Z), six real hours.
  auto c = compiled(timeSpec("Europe/Paris", json::array({window({"sat"}, "22:00", "03:00")})));
  EXPECT_EQ(passingSpans(*c, utc(2024, 10, 26, 0, 0), utc(2024, 10, 28, 0, 0)),
            (std::vector<std::string>{"2024-10-26 20:00:00Z - 2024-10-27 02:00:00Z"}));
  EXPECT_EQ(at(*c, utc(2024, 10, 27, 1, 15)).reason,
            "Sunday 02:15 Europe/Paris (CET) is inside sat 22:00-03:00 (started Saturday)");
  // And over the spring-forward night: 22:00 CET (21:00Z) to 03:00 CEST (01:00Z), four hours.
  EXPECT_EQ(passingSpans(*c, utc(2024, 3, 30, 0, 0), utc(2024, 4, 1, 0, 0)),
            (std::vector<std::string>{"2024-03-30 21:00:00Z - 2024-03-31 01:00:00Z"}));
}

TEST(TimeConditionDst, NewYorkSpringForward) {
  auto gap =
      compiled(timeSpec("America/New_York", json::array({window({"sun"}, "02:00", "03:00")})));
  EXPECT_TRUE(passingSpans(*gap, utc(2024, 3, 9, 12, 0), utc(2024, 3, 11, 12, 0)).empty());
  EXPECT_EQ(at(*gap, utc(2024, 3, 10, 6, 59, 59)).reason,
            "Sunday 01:59 America/New_York (EST) is outside sun 02:00-03:00");
  EXPECT_EQ(at(*gap, utc(2024, 3, 10, 7, 0)).reason,
            "Sunday 03:00 America/New_York (EDT) is outside sun 02:00-03:00");

  auto night =
      compiled(timeSpec("America/New_York", json::array({window({"sat"}, "22:00", "02:30")})));
  // 22:00 EST (03:00Z) until the jump at 07:00Z: 02:30 never comes.
  EXPECT_EQ(passingSpans(*night, utc(2024, 3, 9, 12, 0), utc(2024, 3, 11, 12, 0)),
            (std::vector<std::string>{"2024-03-10 03:00:00Z - 2024-03-10 07:00:00Z"}));

  auto business =
      compiled(timeSpec("America/New_York", json::array({window(kWeek, "09:00", "17:00")})));
  // Friday before (EST, UTC-5) and Monday after (EDT, UTC-4).
  EXPECT_TRUE(at(*business, utc(2024, 3, 8, 14, 0)).passed);
  EXPECT_FALSE(at(*business, utc(2024, 3, 8, 13, 59)).passed);
  EXPECT_TRUE(at(*business, utc(2024, 3, 11, 13, 0)).passed);
  EXPECT_FALSE(at(*business, utc(2024, 3, 11, 12, 59)).passed);
  EXPECT_EQ(at(*business, utc(2024, 3, 11, 13, 0)).reason,
            "Monday 09:00 America/New_York (EDT) is inside mon-fri 09:00-17:00");
}

TEST(TimeConditionDst, NewYorkFallBack) {
  auto c = compiled(timeSpec("America/New_York", json::array({window({"sun"}, "01:00", "02:00")})));
  // 01:00 EDT (05:00Z) through the repeated 01:00-01:59 EST until 02:00 EST (07:00Z).
  EXPECT_EQ(passingSpans(*c, utc(2024, 11, 2, 12, 0), utc(2024, 11, 4, 12, 0)),
            (std::vector<std::string>{"2024-11-03 05:00:00Z - 2024-11-03 07:00:00Z"}));
  EXPECT_EQ(at(*c, utc(2024, 11, 3, 5, 0)).reason,
            "Sunday 01:00 America/New_York (EDT) is inside sun 01:00-02:00");
  EXPECT_EQ(at(*c, utc(2024, 11, 3, 6, 0)).reason,
            "Sunday 01:00 America/New_York (EST) is inside sun 01:00-02:00");
  EXPECT_FALSE(at(*c, utc(2024, 11, 3, 4, 59, 59)).passed);
  EXPECT_FALSE(at(*c, utc(2024, 11, 3, 7, 0)).passed);

  auto night =
      compiled(timeSpec("America/New_York", json::array({window({"sat"}, "23:00", "01:30")})));
  // 23:00 EDT (03:00Z) to the first 01:30 EDT (05:30Z), then again during the repeated
  // 01:00-01:29 EST (06:00Z-06:30Z).
  EXPECT_EQ(passingSpans(*night, utc(2024, 11, 2, 12, 0), utc(2024, 11, 4, 12, 0)),
            (std::vector<std::string>{"2024-11-03 03:00:00Z - 2024-11-03 05:30:00Z",
                                      "2024-11-03 06:00:00Z - 2024-11-03 06:30:00Z"}));
}

TEST(TimeCondition, ZoneWithoutDstAndFractionalOffset) {
  auto c = compiled(timeSpec("Asia/Kolkata", json::array({window(kWeek, "09:00", "18:00")})));
  // IST is UTC+05:30: 09:00 local is 03:30Z.
  EXPECT_FALSE(at(*c, utc(2024, 6, 3, 3, 29, 59)).passed);
  EXPECT_TRUE(at(*c, utc(2024, 6, 3, 3, 30)).passed);
  EXPECT_EQ(at(*c, utc(2024, 6, 3, 3, 30)).reason,
            "Monday 09:00 Asia/Kolkata (IST) is inside mon-fri 09:00-18:00");
}

TEST(TimeCondition, InstantsBeforeTheEpoch) {
  auto c = compiled(timeSpec("UTC", json::array({window({"wed"}, "23:00", "24:00")})));
  // 1969-12-31 was a Wednesday.
  EXPECT_TRUE(at(*c, utc(1969, 12, 31, 23, 59, 59) + std::chrono::milliseconds{500}).passed);
  EXPECT_FALSE(at(*c, utc(1970, 1, 1, 0, 0)).passed);
}

}  // namespace
}  // namespace tessera::conditions
