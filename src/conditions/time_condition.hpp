// AccessCondition type "time": weekly windows in an IANA time zone, evaluated in the zone's local
// (wall-clock) time with the system tz database (/usr/share/zoneinfo). Compiled by
// compileCondition; evaluated on every decision of a policy that names it.
//
// Semantics: `start` is inclusive and `end` exclusive, at minute precision; "24:00" as end is the
// end of the day. An end before start wraps past midnight: the window runs into the next day and
// `days` names the day it STARTS (fri 22:00-06:00 covers Saturday 00:00-05:59). DST follows from
// wall-clock evaluation: a window over a skipped hour is that much shorter in real time
// (02:00-02:59 does not exist on the spring-forward day), a window over a repeated hour is longer
// (both occurrences of 02:30 on the fall-back day are inside 02:00-03:00).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <memory>
#include <vector>

#include "conditions/condition.hpp"

namespace date {
class time_zone;
}

namespace tessera::conditions {

class TimeCondition final : public Condition {
 public:
  struct Window {
    std::array<bool, 7> days{};  // indexed by weekday, 0 = Sunday (C encoding)
    int start = 0;               // minutes since local midnight, 0-1440
    int end = 0;
  };

  // kInvalidArgument naming /spec/timeZone when the zone is not in the tz database.
  static Result<std::unique_ptr<const Condition>> compile(const nlohmann::json& spec);

  TimeCondition(const date::time_zone* zone, std::string zoneName, std::vector<Window> windows);

  ConditionOutcome evaluate(const ConditionContext& context) const override;

 private:
  const date::time_zone* zone_;  // owned by the process-wide tz database, lives forever
  std::string zoneName_;
  std::vector<Window> windows_;
  std::string scheduleText_;  // "mon-fri 08:00-19:00, sat 10:00-12:00"
};

}  // namespace tessera::conditions
