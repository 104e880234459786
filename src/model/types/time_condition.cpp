// AccessCondition type "time": weekly windows in an IANA time zone.
#include <cctype>

#include "model/types/builtin_types.hpp"

namespace tessera::model {

namespace {
std::optional<std::string> clockTimeProblem(const nlohmann::json& v) {
  const auto& s = v.get_ref<const std::string&>();
  const auto digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(s[i])); };
  if (s.size() != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return "must be HH:MM";
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) {
    return "must be a time from 00:00 to 24:00";
  }
  return std::nullopt;
}
}  // namespace

Schema timeConditionSchema() {
  auto window =
      Schema::object(
          {
              requiredField("days",
                            Schema::array(Schema::string().oneOf(
                                              {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}))
                                .items(1, 7)),
              requiredField("start", Schema::string("HH:MM, inclusive.").check(clockTimeProblem)),
              requiredField("end", Schema::string("HH:MM, exclusive; before start means the "
                                                  "window ends the next day.")
                                       .check(clockTimeProblem)),
          },
          "A weekly window.")
          .objectCheck([](const nlohmann::json& v, const std::string& pointer, FieldErrors& e) {
            if (v.at("start") == v.at("end")) {
              e.add(pointer + "/end", "must differ from start");
            }
          });
  return Schema::object(
      {
          requiredField("timeZone",
                        Schema::string("IANA time zone, e.g. Europe/Paris.").length(1, 64)),
          requiredField("schedule", Schema::array(window, "Any window may match.").items(1, 32)),
      },
      "Passes inside the schedule, in the time zone's local time.");
}

}  // namespace tessera::model
