#include "hub/config_service.hpp"

#include <spdlog/spdlog.h>

#include "model/secret_sealing.hpp"

namespace tessera::hub {

namespace {
// A commit refused because another replica wrote first is planned again on the new snapshot;
// more refusals in a row than this means heavy contention, reported to the caller.
constexpr int kMaxAttempts = 5;
}  // namespace

Result<store::ConfigRecord> ConfigService::recordOf(const model::ConfigObject& o) const {
  store::ConfigRecord r;
  r.kind = std::string(model::kindName(o.kind));
  r.name = o.metadata.name;
  if (kek_) {
    auto sealed = o;
    TESSERA_RETURN_IF_ERROR(model::sealSecrets(sealed, registry_, *kek_));
    r.document = model::toStoredDocument(sealed);
  } else {
    bool anySecret = false;
    if (const model::Schema* schema = registry_.schemaFor(o.kind, o.spec)) {
      auto spec = o.spec;
      schema->forEachSecret(spec, "/spec",
                            [&](const std::string&, nlohmann::json&) { anySecret = true; });
    }
    if (anySecret) {
      return fail(ErrorCode::kInternal, model::objectId(o.kind, o.metadata.name) +
                                            " has secret fields and there is no key-encryption "
                                            "key to seal them");
    }
    r.document = model::toStoredDocument(o);
  }
  r.createdAt = o.metadata.createdAt;
  r.updatedAt = o.metadata.updatedAt;
  r.version = o.metadata.version;
  return r;
}

ConfigService::ConfigService(std::shared_ptr<store::ConfigRepository> repository,
                             const Clock& clock, const model::SpecRegistry& registry,
                             std::optional<crypto::KeyEncryptionKey> kek)
    : repository_(std::move(repository)),
      clock_(clock),
      registry_(registry),
      kek_(std::move(kek)),
      snapshot_(model::ConfigSnapshot::empty()) {}

Result<void> ConfigService::reload() {
  TESSERA_DECLARE_OR_RETURN(auto state, repository_->load());
  std::vector<model::ConfigObject> objects;
  objects.reserve(state.records.size());
  for (auto& r : state.records) {
    const auto kind = model::parseKindName(r.kind);
    if (!kind) {
      return fail(ErrorCode::kStoreFailure,
                  "the store holds an object of unknown kind " + r.kind + "; upgrade tessera");
    }
    TESSERA_DECLARE_OR_RETURN(
        auto object, model::fromStoredDocument(*kind, std::move(r.name), r.document, r.createdAt,
                                               r.updatedAt, r.version));
    if (kek_) {
      for (const auto& p : model::unsealSecrets(object, registry_, *kek_)) {
        // The provider using it fails closed with the field missing; the rest still loads.
        spdlog::error("{}: secret field {} cannot be unsealed ({}); apply it again",
                      model::objectId(object.kind, object.metadata.name), p.pointer, p.reason);
      }
    }
    objects.push_back(std::move(object));
  }
  publish(std::make_shared<const model::ConfigSnapshot>(state.revision, std::move(objects)));
  return {};
}

void ConfigService::publish(std::shared_ptr<const model::ConfigSnapshot> next) {
  // Only a newer revision replaces the snapshot. A reload is slow with many objects: one begun
  // by the poller just before an apply committed would otherwise put back the revision the apply
  // replaced, and one that read the same revision would swap in an equal copy, making every
  // user of the snapshot (the access service's compiled decision index) rebuild for nothing.
  auto current = snapshot_.load();
  while (next->revision() > current->revision()) {
    if (snapshot_.compare_exchange_weak(current, next)) {
      return;
    }
  }
}

Result<void> ConfigService::refresh() {
  TESSERA_DECLARE_OR_RETURN(const std::int64_t revision, repository_->revision());
  if (revision == snapshot()->revision()) {
    return {};
  }
  return reload();
}

store::AdminEventRecord ConfigService::eventFor(const model::PlannedChange& change,
                                                const std::string& actor, std::int64_t now) const {
  store::AdminEventRecord e;
  e.at = now;
  e.actor = actor;
  e.kind = std::string(model::kindName(change.kind));
  e.name = change.name;
  switch (change.action) {
    case model::PlannedChange::Action::kCreate:
      e.action = "create";
      break;
    case model::PlannedChange::Action::kUpdate:
      e.action = "update";
      break;
    case model::PlannedChange::Action::kDelete:
      e.action = "delete";
      break;
    case model::PlannedChange::Action::kUnchanged:
      e.action = "unchanged";
      break;
  }
  // Secret fields appear as "(redacted)": the event shows that they were set, never the value.
  if (change.before) {
    e.before = model::toDocument(*change.before, registry_, model::SecretView::kMask, true).dump();
  }
  if (change.after && change.action != model::PlannedChange::Action::kDelete) {
    e.after = model::toDocument(*change.after, registry_, model::SecretView::kMask, true).dump();
  }
  return e;
}

template <typename Plan>
Result<ConfigWriteOutcome> ConfigService::write(const std::string& actor, bool dryRun,
                                                Plan&& plan) {
  std::lock_guard lock(writeMutex_);
  TESSERA_RETURN_IF_ERROR(refresh());
  for (int attempt = 1;; ++attempt) {
    const auto current = snapshot();
    const std::int64_t now = toUnixSeconds(clock_.now());
    TESSERA_DECLARE_OR_RETURN(auto changes, plan(*current, now));
    ConfigWriteOutcome outcome;
    outcome.revision = current->revision();
    store::ConfigCommit commit;
    commit.expectedRevision = current->revision();
    for (const auto& c : changes) {
      if (c.action == model::PlannedChange::Action::kUnchanged) {
        continue;
      }
      store::ConfigChange change;
      switch (c.action) {
        case model::PlannedChange::Action::kCreate:
          change.op = store::ConfigChange::Op::kCreate;
          TESSERA_ASSIGN_OR_RETURN(change.record, recordOf(*c.after));
          break;
        case model::PlannedChange::Action::kUpdate:
          change.op = store::ConfigChange::Op::kUpdate;
          TESSERA_ASSIGN_OR_RETURN(change.record, recordOf(*c.after));
          break;
        default:
          change.op = store::ConfigChange::Op::kDelete;
          TESSERA_ASSIGN_OR_RETURN(change.record, recordOf(*c.before));
          break;
      }
      commit.changes.push_back(std::move(change));
      commit.events.push_back(eventFor(c, actor, now));
    }
    outcome.changes = std::move(changes);
    if (dryRun || commit.changes.empty()) {
      return outcome;
    }
    auto revision = repository_->commit(commit);
    if (revision) {
      outcome.revision = *revision;
      if (*revision == current->revision() + 1) {
        publish(model::applyPlan(*current, outcome.changes, *revision));
      } else {
        TESSERA_RETURN_IF_ERROR(reload());
      }
      return outcome;
    }
    if (revision.error().code != ErrorCode::kConflict || attempt == kMaxAttempts) {
      return std::move(revision).error();
    }
    spdlog::debug("configuration changed by another writer; planning again (attempt {})",
                  attempt + 1);
    TESSERA_RETURN_IF_ERROR(reload());
  }
}

Result<ConfigWriteOutcome> ConfigService::apply(std::vector<model::DesiredObject> objects,
                                                model::ApplyMode mode, const std::string& actor,
                                                bool dryRun) {
  return write(actor, dryRun, [&](const model::ConfigSnapshot& current, std::int64_t now) {
    return model::planApply(current, objects, mode, now, registry_);
  });
}

Result<ConfigWriteOutcome> ConfigService::remove(model::Kind kind, const std::string& name,
                                                 std::int64_t expectedVersion,
                                                 const std::string& actor) {
  return write(actor, false,
               [&](const model::ConfigSnapshot& current,
                   std::int64_t) -> Result<std::vector<model::PlannedChange>> {
                 TESSERA_DECLARE_OR_RETURN(auto change,
                                           model::planDelete(current, kind, name, expectedVersion));
                 std::vector<model::PlannedChange> changes;
                 changes.push_back(std::move(change));
                 return changes;
               });
}

Result<void> ConfigService::recordEvent(store::AdminEventRecord event) {
  std::vector<store::AdminEventRecord> events;
  events.push_back(std::move(event));
  return repository_->appendEvents(events);
}

Result<std::vector<store::AdminEventRecord>> ConfigService::events(
    const store::AdminEventQuery& query) {
  return repository_->events(query);
}

}  // namespace tessera::hub
