// AccessCondition type "network": source CIDR allow and deny lists, IPv4 and IPv6.
#include "model/types/builtin_types.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

Schema networkConditionSchema() {
  return Schema::object(
             {
                 optionalField("allow",
                               Schema::array(cidrSchema("Allowed source block.")).items(1, 1024)),
                 optionalField("deny", Schema::array(cidrSchema("Refused source block; wins "
                                                                "over allow."))
                                           .items(1, 1024)),
             },
             "Passes when the source IP is in an allowed block and in no denied block.")
      .objectCheck([](const nlohmann::json& v, const std::string& pointer, FieldErrors& e) {
        if (!v.contains("allow") && !v.contains("deny")) {
          e.add(pointer, "needs allow or deny");
        }
      });
}

}  // namespace tessera::model
