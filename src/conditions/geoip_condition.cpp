#include "conditions/geoip_condition.hpp"

#include "conditions/spec_access.hpp"

namespace tessera::conditions {

namespace {

std::string joined(const std::set<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : separator) + item;
  }
  return out;
}

// "US-CA" when the database knows the subdivision, else the country: the most precise place.
std::string placeText(const GeoLocation& location) {
  if (location.subdivisions.empty()) {
    return location.country;
  }
  std::string out;
  for (const auto& s : location.subdivisions) {
    out += (out.empty() ? "" : "/") + s;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<const Condition>> GeoIpCondition::compile(
    const nlohmann::json& spec, std::shared_ptr<const GeoIpDatabase> database) {
  TESSERA_DECLARE_OR_RETURN(const auto countries, detail::stringsAt(spec, "countries", "/spec"));
  TESSERA_DECLARE_OR_RETURN(const auto subdivisions,
                            detail::stringsAt(spec, "subdivisions", "/spec"));
  if (countries.empty() && subdivisions.empty()) {
    return detail::specError("/spec", "needs countries or subdivisions");
  }
  return std::unique_ptr<const Condition>(std::make_unique<GeoIpCondition>(
      std::move(database), std::set<std::string>(countries.begin(), countries.end()),
      std::set<std::string>(subdivisions.begin(), subdivisions.end())));
}

GeoIpCondition::GeoIpCondition(std::shared_ptr<const GeoIpDatabase> database,
                               std::set<std::string> countries, std::set<std::string> subdivisions)
    : database_(std::move(database)),
      countries_(std::move(countries)),
      subdivisions_(std::move(subdivisions)) {
  if (!countries_.empty()) {
    allowedText_ = "countries " + joined(countries_, ", ");
  }
  if (!subdivisions_.empty()) {
    allowedText_ += (allowedText_.empty() ? "" : " or ") + std::string("subdivisions ") +
                    joined(subdivisions_, ", ");
  }
}

ConditionOutcome GeoIpCondition::evaluate(const ConditionContext& context) const {
  ConditionOutcome outcome;
  outcome.passed = false;
  if (!database_) {
    outcome.reason =
        "no GeoIP database is configured on the hub, so the location of the source "
        "cannot be checked";
    return outcome;
  }
  if (!context.sourceIp || context.sourceIp->empty()) {
    outcome.reason = "no source address in the request context";
    return outcome;
  }
  const std::string& ip = *context.sourceIp;
  auto location = database_->lookup(ip);
  if (!location) {
    if (location.error().code == ErrorCode::kInvalidArgument) {
      outcome.reason = "source address " + detail::quoted(ip) + " is not an IP address";
    } else {
      outcome.reason = "GeoIP lookup of " + ip + " failed: " + location.error().message;
    }
    return outcome;
  }
  if (!*location) {
    outcome.reason = "no location for " + ip + " in the GeoIP database " + database_->path();
    return outcome;
  }
  const GeoLocation& where = **location;
  const std::string prefix = "source " + ip + " is in " + placeText(where);
  for (const auto& s : where.subdivisions) {
    if (subdivisions_.contains(s)) {
      outcome.passed = true;
      outcome.reason = prefix + ", allowed (subdivision " + s + ")";
      return outcome;
    }
  }
  if (countries_.contains(where.country)) {
    outcome.passed = true;
    outcome.reason = prefix + ", allowed (country " + where.country + ")";
    return outcome;
  }
  outcome.reason = prefix + ", not in the allowed " + allowedText_;
  return outcome;
}

}  // namespace tessera::conditions
