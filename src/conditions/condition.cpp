#include "conditions/condition.hpp"

#include "conditions/geoip_condition.hpp"
#include "conditions/network_condition.hpp"
#include "conditions/spec_access.hpp"
#include "conditions/time_condition.hpp"

namespace tessera::conditions {

Result<std::unique_ptr<const Condition>> compileCondition(
    const model::ConfigObject& accessCondition, const ConditionResources& resources) {
  if (accessCondition.kind != model::Kind::kAccessCondition) {
    return fail(ErrorCode::kInvalidArgument,
                "not an AccessCondition: " +
                    model::objectId(accessCondition.kind, accessCondition.metadata.name));
  }
  const auto& spec = accessCondition.spec;
  if (!spec.is_object()) {
    return detail::specError("/spec", "must be an object");
  }
  TESSERA_DECLARE_OR_RETURN(const auto type, detail::stringAt(spec, "type", "/spec"));
  if (type == "time") {
    return TimeCondition::compile(spec);
  }
  if (type == "geoip") {
    return GeoIpCondition::compile(spec, resources.geoip);
  }
  if (type == "network") {
    return NetworkCondition::compile(spec);
  }
  return detail::specError("/spec/type", "unknown access condition type " + detail::quoted(type));
}

}  // namespace tessera::conditions
