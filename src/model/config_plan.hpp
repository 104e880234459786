// Planning a configuration change against a snapshot, purely: which objects an apply creates,
// updates or leaves unchanged, and whether a delete may go ahead. All checks happen here, before
// anything is written: spec schemas, duplicate names, expected versions, and references resolved
// in the configuration as it will be after the change. The hub's config service turns a plan into
// one store commit.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "model/config_object.hpp"
#include "model/config_snapshot.hpp"
#include "model/spec_registry.hpp"

namespace tessera::model {

enum class ApplyMode {
  kUpsert,  // apply: create or update
  kCreate,  // POST: kAlreadyExists when the name is taken
  kUpdate,  // PUT: kNotFound when absent
};

struct DesiredObject {
  ConfigObject object;
  std::string pointer;  // where it came from, e.g. "/objects/3" or "" for a single body
};

struct PlannedChange {
  enum class Action { kCreate, kUpdate, kUnchanged, kDelete };
  Action action = Action::kUnchanged;
  Kind kind = Kind::kClientWorkload;
  std::string name;
  std::optional<ConfigObject> before;  // the stored object (update, unchanged, delete)
  std::optional<ConfigObject> after;  // the object as it will be stored (create, update, unchanged)
};

std::string_view actionName(PlannedChange::Action action) noexcept;  // "created", ...

// kInvalidArgument with every field error; kAlreadyExists, kNotFound or kPreconditionFailed for
// the first object whose existence or version is not as the writer said.
Result<std::vector<PlannedChange>> planApply(const ConfigSnapshot& current,
                                             std::vector<DesiredObject> desired, ApplyMode mode,
                                             std::int64_t now, const SpecRegistry& registry);

// kNotFound, kPreconditionFailed (expectedVersion != 0 and not the stored one), or kConflict
// naming every object that still refers to it.
Result<PlannedChange> planDelete(const ConfigSnapshot& current, Kind kind, std::string_view name,
                                 std::int64_t expectedVersion);

// The snapshot after `changes`, for the writer to serve at once.
std::shared_ptr<const ConfigSnapshot> applyPlan(const ConfigSnapshot& current,
                                                const std::vector<PlannedChange>& changes,
                                                std::int64_t newRevision);

}  // namespace tessera::model
