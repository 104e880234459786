// AccessCondition type "geoip": countries (ISO 3166-1) and subdivisions (ISO 3166-2) of the source
// IP.
#include <cctype>

#include "model/types/builtin_types.hpp"

namespace tessera::model {

namespace {
std::optional<std::string> upperCodeProblem(const std::string& s, std::size_t from) {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (!std::isupper(static_cast<unsigned char>(s[i])) &&
        !std::isdigit(static_cast<unsigned char>(s[i]))) {
      return "must be upper-case letters and digits";
    }
  }
  return std::nullopt;
}
}  // namespace

Schema geoipConditionSchema() {
  return Schema::object(
             {
                 optionalField("countries", Schema::array(Schema::string("ISO 3166-1 alpha-2.")
                                                              .length(2, 2)
                                                              .check([](const nlohmann::json& v) {
                                                                return upperCodeProblem(
                                                                    v.get<std::string>(), 0);
                                                              }))
                                                .items(1, 256)),
                 optionalField(
                     "subdivisions",
                     Schema::array(
                         Schema::string("ISO 3166-2, e.g. US-CA.")
                             .length(4, 6)
                             .check([](const nlohmann::json& v) -> std::optional<std::string> {
                               const auto s = v.get<std::string>();
                               if (s.size() < 4 || s[2] != '-') {
                                 return "must be CC-SUB, e.g. US-CA";
                               }
                               return upperCodeProblem(s.substr(0, 2) + s.substr(3), 0);
                             }))
                         .items(1, 256)),
             },
             "Passes when the source IP is located in one of the countries or subdivisions.")
      .objectCheck([](const nlohmann::json& v, const std::string& pointer, FieldErrors& e) {
        if (!v.contains("countries") && !v.contains("subdivisions")) {
          e.add(pointer, "needs countries or subdivisions");
        }
      });
}

}  // namespace tessera::model
