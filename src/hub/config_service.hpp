// ConfigService: the hub's configuration. Serves reads from an immutable snapshot (swapped
// atomically, so readers never lock), and writes by planning against the snapshot (model::
// planApply / planDelete), then committing the plan and its admin audit events to the store in
// one transaction checked against the snapshot's revision. When another hub replica wrote in
// between, the store refuses, this service reloads and plans again. Write-only secret fields are
// sealed under the KEK on their way to the store and unsealed on their way into the snapshot
// (model/secret_sealing): the store never holds them in the clear, while planning (secrets kept
// across updates, unchanged detection) and the credential providers compiled once per snapshot
// work on plain values without paying an AES operation per grant. Used by the admin API and the
// access API.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/sealing.hpp"
#include "model/config_plan.hpp"
#include "model/config_snapshot.hpp"
#include "model/spec_registry.hpp"
#include "store/config_repository.hpp"

namespace tessera::hub {

struct ConfigWriteOutcome {
  std::int64_t revision = 0;  // after the write (or the current one for a dry run / no change)
  std::vector<model::PlannedChange> changes;
};

class ConfigService {
 public:
  // Without a KEK, an object with a secret field cannot be written (kInternal) and sealed rows do
  // not unseal: only for tools that never write (the OpenAPI document).
  ConfigService(std::shared_ptr<store::ConfigRepository> repository, const Clock& clock,
                const model::SpecRegistry& registry = model::SpecRegistry::builtin(),
                std::optional<crypto::KeyEncryptionKey> kek = std::nullopt);

  // Loads the snapshot if the store's revision differs from the one held (another replica, or
  // the CLI, wrote). Cheap when nothing changed: one revision read.
  Result<void> refresh();

  std::shared_ptr<const model::ConfigSnapshot> snapshot() const { return snapshot_.load(); }
  const model::SpecRegistry& registry() const { return registry_; }

  // Creates/updates per `mode`, all or nothing. `actor` goes into the audit events. With dryRun
  // the plan is returned and nothing is written.
  Result<ConfigWriteOutcome> apply(std::vector<model::DesiredObject> objects, model::ApplyMode mode,
                                   const std::string& actor, bool dryRun = false);
  Result<ConfigWriteOutcome> remove(model::Kind kind, const std::string& name,
                                    std::int64_t expectedVersion, const std::string& actor);

  // Audit events that change no configuration (admin tokens).
  Result<void> recordEvent(store::AdminEventRecord event);
  Result<std::vector<store::AdminEventRecord>> events(const store::AdminEventQuery& query);

 private:
  template <typename Plan>
  Result<ConfigWriteOutcome> write(const std::string& actor, bool dryRun, Plan&& plan);
  store::AdminEventRecord eventFor(const model::PlannedChange& change, const std::string& actor,
                                   std::int64_t now) const;
  Result<void> reload();
  // Replaces the snapshot when `next` has a newer revision (see the definition for why).
  void publish(std::shared_ptr<const model::ConfigSnapshot> next);
  Result<store::ConfigRecord> recordOf(const model::ConfigObject& object) const;

  std::shared_ptr<store::ConfigRepository> repository_;
  const Clock& clock_;
  const model::SpecRegistry& registry_;
  std::optional<crypto::KeyEncryptionKey> kek_;
  std::atomic<std::shared_ptr<const model::ConfigSnapshot>> snapshot_;
  std::mutex writeMutex_;  // one writer at a time in this process; replicas race via revisions
};

}  // namespace tessera::hub
