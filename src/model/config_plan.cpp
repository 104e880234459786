#include "model/config_plan.hpp"

#include <map>
#include <set>

namespace tessera::model {

namespace {
using Key = std::pair<Kind, std::string>;

std::string where(const std::string& pointer) {
  return pointer.empty() ? std::string() : " (at " + pointer + ")";
}
}  // namespace

std::string_view actionName(PlannedChange::Action action) noexcept {
  switch (action) {
    case PlannedChange::Action::kCreate:
      return "created";
    case PlannedChange::Action::kUpdate:
      return "updated";
    case PlannedChange::Action::kUnchanged:
      return "unchanged";
    case PlannedChange::Action::kDelete:
      return "deleted";
  }
  return "unchanged";
}

Result<std::vector<PlannedChange>> planApply(const ConfigSnapshot& current,
                                             std::vector<DesiredObject> desired, ApplyMode mode,
                                             std::int64_t now, const SpecRegistry& registry) {
  // Existence, duplicates and versions: one precise error for the first offender.
  std::map<Key, std::string> seen;
  FieldErrors errors;
  for (const auto& d : desired) {
    const auto& o = d.object;
    const std::string id = objectId(o.kind, o.metadata.name);
    auto [it, inserted] = seen.emplace(Key{o.kind, o.metadata.name}, d.pointer);
    if (!inserted) {
      errors.add(d.pointer + "/metadata/name",
                 id + " is already given at " + (it->second.empty() ? "/" : it->second));
      continue;
    }
    const ConfigObject* stored = current.find(o.kind, o.metadata.name);
    if (mode == ApplyMode::kCreate && stored != nullptr) {
      return fail(ErrorCode::kAlreadyExists, id + " already exists" + where(d.pointer));
    }
    if (mode == ApplyMode::kUpdate && stored == nullptr) {
      return fail(ErrorCode::kNotFound, id + " does not exist" + where(d.pointer));
    }
    if (o.metadata.version != 0) {
      const std::int64_t actual = stored == nullptr ? 0 : stored->metadata.version;
      if (actual != o.metadata.version) {
        return fail(ErrorCode::kPreconditionFailed,
                    id + " is at version " + std::to_string(actual) + ", not " +
                        std::to_string(o.metadata.version) + where(d.pointer) +
                        "; someone changed it since you read it: read it again");
      }
    }
  }
  if (!errors.empty()) {
    return errors.toError("duplicate objects");
  }

  // Specs (with write-only secrets carried over from the stored object) and references.
  const auto exists = [&](Kind kind, const std::string& name) {
    return seen.contains(Key{kind, name}) || current.find(kind, name) != nullptr;
  };
  for (auto& d : desired) {
    auto& o = d.object;
    const ConfigObject* stored = current.find(o.kind, o.metadata.name);
    if (stored != nullptr) {
      if (const Schema* schema = registry.schemaFor(o.kind, o.spec);
          schema != nullptr && schema == registry.schemaFor(stored->kind, stored->spec)) {
        // Keep the write-only secrets the writer omitted, unless the spec is valid only without
        // them: an update that changes a static secret's secretType drops the old type's secrets
        // (a kept password would make the new api-key invalid, and nothing could remove it).
        nlohmann::json merged = o.spec;
        schema->keepSecrets(merged, stored->spec);
        if (merged != o.spec) {
          FieldErrors mergedErrors;
          schema->validate(merged, d.pointer + "/spec", mergedErrors);
          FieldErrors sentErrors;
          if (!mergedErrors.empty()) {
            schema->validate(o.spec, d.pointer + "/spec", sentErrors);
          }
          if (mergedErrors.empty() || !sentErrors.empty()) {
            o.spec = std::move(merged);
          }
        }
      }
    }
    registry.validateSpec(o.kind, o.spec, d.pointer + "/spec", errors);
    for (const auto& ref : referencesOf(o)) {
      if (!exists(ref.kind, ref.name)) {
        errors.add(d.pointer + ref.pointer, "names " + std::string(kindName(ref.kind)) + " '" +
                                                ref.name + "', which does not exist");
      }
    }
  }
  if (!errors.empty()) {
    return errors.toError(
        desired.size() == 1
            ? "invalid " + objectId(desired[0].object.kind, desired[0].object.metadata.name)
            : std::string("invalid configuration"));
  }

  std::vector<PlannedChange> changes;
  changes.reserve(desired.size());
  for (auto& d : desired) {
    PlannedChange c;
    c.kind = d.object.kind;
    c.name = d.object.metadata.name;
    ConfigObject next = std::move(d.object);
    if (const ConfigObject* stored = current.find(c.kind, c.name)) {
      c.before = *stored;
      if (sameContent(*stored, next)) {
        c.action = PlannedChange::Action::kUnchanged;
        c.after = *stored;
      } else {
        c.action = PlannedChange::Action::kUpdate;
        next.metadata.createdAt = stored->metadata.createdAt;
        next.metadata.updatedAt = now;
        next.metadata.version = stored->metadata.version + 1;
        c.after = std::move(next);
      }
    } else {
      c.action = PlannedChange::Action::kCreate;
      next.metadata.createdAt = now;
      next.metadata.updatedAt = now;
      next.metadata.version = 1;
      c.after = std::move(next);
    }
    changes.push_back(std::move(c));
  }
  return changes;
}

Result<PlannedChange> planDelete(const ConfigSnapshot& current, Kind kind, std::string_view name,
                                 std::int64_t expectedVersion) {
  const std::string id = objectId(kind, name);
  const ConfigObject* stored = current.find(kind, name);
  if (stored == nullptr) {
    return fail(ErrorCode::kNotFound, id + " does not exist");
  }
  if (expectedVersion != 0 && expectedVersion != stored->metadata.version) {
    return fail(ErrorCode::kPreconditionFailed,
                id + " is at version " + std::to_string(stored->metadata.version) + ", not " +
                    std::to_string(expectedVersion) + "; read it again");
  }
  if (auto referrers = current.referrers(kind, name); !referrers.empty()) {
    std::string list;
    for (const auto& r : referrers) {
      list += (list.empty() ? "" : ", ") + r;
    }
    Error e{ErrorCode::kConflict,
            id + " is still referenced by " + list + "; change or delete those first"};
    for (const auto& r : referrers) {
      e.fields.push_back(FieldError{"", "referenced by " + r});
    }
    return e;
  }
  PlannedChange c;
  c.action = PlannedChange::Action::kDelete;
  c.kind = kind;
  c.name = std::string(name);
  c.before = *stored;
  return c;
}

std::shared_ptr<const ConfigSnapshot> applyPlan(const ConfigSnapshot& current,
                                                const std::vector<PlannedChange>& changes,
                                                std::int64_t newRevision) {
  std::map<Key, const PlannedChange*> byKey;
  for (const auto& c : changes) {
    byKey[Key{c.kind, c.name}] = &c;
  }
  std::vector<ConfigObject> objects;
  objects.reserve(current.size() + changes.size());
  for (const ConfigObject* o : current.all()) {
    const auto it = byKey.find(Key{o->kind, o->metadata.name});
    if (it == byKey.end()) {
      objects.push_back(*o);
    }
  }
  for (const auto& c : changes) {
    if (c.action != PlannedChange::Action::kDelete && c.after) {
      objects.push_back(*c.after);
    }
  }
  return std::make_shared<const ConfigSnapshot>(newRevision, std::move(objects));
}

}  // namespace tessera::model
