// Access conditions: contextual checks (time window, GeoIP, source network) that every condition
// named by an access policy must pass. The config snapshot compiles each AccessCondition object
// once with compileCondition; decision evaluation then calls Condition::evaluate with an explicit
// `now` and the request context. Evaluation is pure (no I/O) and thread-safe, and every outcome
// carries an operator-readable reason for the access event trace, for pass and fail alike.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "model/config_object.hpp"

namespace tessera::conditions {

class GeoIpDatabase;

// What a condition may look at: the decision time and what the edge reported about the caller.
struct ConditionContext {
  std::chrono::system_clock::time_point now;
  std::optional<std::string> sourceIp;  // as the edge reported it, not yet parsed
};

struct ConditionOutcome {
  bool passed = false;
  // E.g. "Tuesday 20:15 Europe/Paris (CET) is outside mon-fri 08:00-19:00".
  std::string reason;
};

class Condition {
 public:
  virtual ~Condition() = default;
  // Never fails: what cannot be decided (no source address, no GeoIP database...) fails closed
  // with a reason saying why.
  virtual ConditionOutcome evaluate(const ConditionContext& context) const = 0;
};

// What compiled conditions may share with the rest of the hub.
struct ConditionResources {
  // May be null. A geoip condition still compiles without one (so configuration can be applied
  // before the database is configured) and then fails closed at every evaluation.
  std::shared_ptr<const GeoIpDatabase> geoip;
};

// Compiles an AccessCondition object whose spec has already been validated by the model.
// kInvalidArgument (naming the /spec/... field) for what validation cannot know, e.g. a time
// zone missing from the system's tz database, or for a spec of an unknown type.
Result<std::unique_ptr<const Condition>> compileCondition(
    const model::ConfigObject& accessCondition, const ConditionResources& resources);

}  // namespace tessera::conditions
