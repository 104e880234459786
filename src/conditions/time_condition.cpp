#include "conditions/time_condition.hpp"

#include <date/tz.h>

#include <stdexcept>

#include "conditions/spec_access.hpp"

namespace tessera::conditions {

namespace {

// Monday first, as operators read a week; values are C weekday encodings (0 = Sunday).
constexpr std::array<unsigned, 7> kWeekOrder = {1, 2, 3, 4, 5, 6, 0};
constexpr std::array<const char*, 7> kShortDay = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<const char*, 7> kLongDay = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                 "Thursday", "Friday", "Saturday"};

std::optional<unsigned> dayIndex(const std::string& name) {
  for (unsigned i = 0; i < kShortDay.size(); ++i) {
    if (name == kShortDay[i]) {
      return i;
    }
  }
  return std::nullopt;
}

std::optional<int> clockMinutes(const std::string& s) {
  const auto digit = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  if (s.size() != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return std::nullopt;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) {
    return std::nullopt;
  }
  return h * 60 + m;
}

std::string clockText(int minutes) {
  std::string out(5, ':');
  const int h = minutes / 60;
  const int m = minutes % 60;
  out[0] = static_cast<char>('0' + h / 10);
  out[1] = static_cast<char>('0' + h % 10);
  out[3] = static_cast<char>('0' + m / 10);
  out[4] = static_cast<char>('0' + m % 10);
  return out;
}

// "mon-fri", "mon,wed,fri", "sat,sun": runs of three or more days in week order become ranges.
std::string daysText(const std::array<bool, 7>& days) {
  std::string out;
  std::size_t i = 0;
  while (i < kWeekOrder.size()) {
    if (!days[kWeekOrder[i]]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j + 1 < kWeekOrder.size() && days[kWeekOrder[j + 1]]) {
      ++j;
    }
    if (!out.empty()) {
      out += ',';
    }
    if (j - i >= 2) {
      out += std::string(kShortDay[kWeekOrder[i]]) + "-" + kShortDay[kWeekOrder[j]];
    } else {
      for (std::size_t k = i; k <= j; ++k) {
        out += std::string(k == i ? "" : ",") + kShortDay[kWeekOrder[k]];
      }
    }
    i = j + 1;
  }
  return out;
}

std::string windowText(const TimeCondition::Window& w) {
  return daysText(w.days) + " " + clockText(w.start) + "-" + clockText(w.end);
}

}  // namespace

Result<std::unique_ptr<const Condition>> TimeCondition::compile(const nlohmann::json& spec) {
  TESSERA_DECLARE_OR_RETURN(const std::string zoneName,
                            detail::stringAt(spec, "timeZone", "/spec"));
  const date::time_zone* zone = nullptr;
  try {
    // The tz library reports an unknown zone (and an unreadable database) by throwing.
    zone = date::locate_zone(zoneName);
  } catch (const std::exception& e) {
    return detail::specError(
        "/spec/timeZone",
        "unknown IANA time zone " + detail::quoted(zoneName) + " (" + e.what() + ")");
  }

  const auto schedule = spec.find("schedule");
  if (schedule == spec.end() || !schedule->is_array() || schedule->empty()) {
    return detail::specError("/spec/schedule", "must be a non-empty array of windows");
  }
  std::vector<Window> windows;
  for (std::size_t i = 0; i < schedule->size(); ++i) {
    const auto& item = (*schedule)[i];
    const std::string pointer = "/spec/schedule/" + std::to_string(i);
    if (!item.is_object()) {
      return detail::specError(pointer, "must be an object");
    }
    Window window;
    TESSERA_DECLARE_OR_RETURN(const auto days, detail::stringsAt(item, "days", pointer));
    if (days.empty()) {
      return detail::specError(pointer + "/days", "must name at least one day");
    }
    for (const auto& day : days) {
      const auto index = dayIndex(day);
      if (!index) {
        return detail::specError(pointer + "/days", "unknown day " + detail::quoted(day));
      }
      window.days[*index] = true;
    }
    TESSERA_DECLARE_OR_RETURN(const auto start, detail::stringAt(item, "start", pointer));
    TESSERA_DECLARE_OR_RETURN(const auto end, detail::stringAt(item, "end", pointer));
    const auto startMinutes = clockMinutes(start);
    const auto endMinutes = clockMinutes(end);
    if (!startMinutes) {
      return detail::specError(pointer + "/start", "must be HH:MM from 00:00 to 24:00");
    }
    if (!endMinutes) {
      return detail::specError(pointer + "/end", "must be HH:MM from 00:00 to 24:00");
    }
    if (*startMinutes == *endMinutes) {
      return detail::specError(pointer + "/end", "must differ from start");
    }
    window.start = *startMinutes;
    window.end = *endMinutes;
    windows.push_back(window);
  }
  return std::unique_ptr<const Condition>(
      std::make_unique<TimeCondition>(zone, zoneName, std::move(windows)));
}

TimeCondition::TimeCondition(const date::time_zone* zone, std::string zoneName,
                             std::vector<Window> windows)
    : zone_(zone), zoneName_(std::move(zoneName)), windows_(std::move(windows)) {
  for (const auto& w : windows_) {
    scheduleText_ += (scheduleText_.empty() ? "" : ", ") + windowText(w);
  }
}

ConditionOutcome TimeCondition::evaluate(const ConditionContext& context) const {
  using namespace std::chrono;
  const auto instant = floor<seconds>(context.now);
  const auto info = zone_->get_info(instant);
  const date::local_seconds local{instant.time_since_epoch() + info.offset};
  const auto localDay = floor<date::days>(local);
  const unsigned weekday = date::weekday(localDay).c_encoding();
  const unsigned previousDay = (weekday + 6) % 7;
  const int minute = static_cast<int>(duration_cast<minutes>(local - localDay).count());

  const std::string when = std::string(kLongDay[weekday]) + " " + clockText(minute) + " " +
                           zoneName_ + " (" + info.abbrev + ")";
  ConditionOutcome outcome;
  for (const auto& w : windows_) {
    if (w.start < w.end) {
      if (w.days[weekday] && minute >= w.start && minute < w.end) {
        outcome.passed = true;
        outcome.reason = when + " is inside " + windowText(w);
        return outcome;
      }
      continue;
    }
    // Wraps past midnight: the evening part belongs to the listed day, the morning part to the
    // day after it.
    if (w.days[weekday] && minute >= w.start) {
      outcome.passed = true;
      outcome.reason = when + " is inside " + windowText(w);
      return outcome;
    }
    if (w.days[previousDay] && minute < w.end) {
      outcome.passed = true;
      outcome.reason =
          when + " is inside " + windowText(w) + " (started " + kLongDay[previousDay] + ")";
      return outcome;
    }
  }
  outcome.passed = false;
  outcome.reason = when + " is outside " + scheduleText_;
  return outcome;
}

}  // namespace tessera::conditions
