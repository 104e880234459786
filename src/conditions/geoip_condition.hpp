// AccessCondition type "geoip": passes when the source address is located in one of the listed
// countries (ISO 3166-1) or subdivisions (ISO 3166-2, "US-CA") according to the hub's GeoIP
// database. Compiled by compileCondition with the database from ConditionResources.
//
// Fails closed, each with its own reason: no database configured (compilation still succeeds so
// that configuration can be applied first), no or an unparseable source address, an address the
// database has no country for ("no location for ..."), a failed lookup.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <set>
#include <string>

#include "conditions/condition.hpp"
#include "conditions/geoip_database.hpp"

namespace tessera::conditions {

class GeoIpCondition final : public Condition {
 public:
  static Result<std::unique_ptr<const Condition>> compile(
      const nlohmann::json& spec, std::shared_ptr<const GeoIpDatabase> database);

  GeoIpCondition(std::shared_ptr<const GeoIpDatabase> database, std::set<std::string> countries,
                 std::set<std::string> subdivisions);

  ConditionOutcome evaluate(const ConditionContext& context) const override;

 private:
  std::shared_ptr<const GeoIpDatabase> database_;  // may be null: fail closed
  std::set<std::string> countries_;
  std::set<std::string> subdivisions_;
  std::string allowedText_;  // "countries FR, DE or subdivisions ES-CT"
};

}  // namespace tessera::conditions
