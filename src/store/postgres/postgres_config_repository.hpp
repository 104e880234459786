// ConfigRepository on PostgreSQL, shared by hub replicas: writers serialise on the
// config_revision row (SELECT ... FOR UPDATE) and load() reads one REPEATABLE READ snapshot.
// Opened by store.cpp.
#pragma once

#include <memory>

#include "store/config_repository.hpp"
#include "store/postgres/postgres_db.hpp"

namespace tessera::store {

class PostgresConfigRepository final : public ConfigRepository {
 public:
  explicit PostgresConfigRepository(std::shared_ptr<PostgresDb> db) : db_(std::move(db)) {}
  Result<std::int64_t> revision() override;
  Result<ConfigState> load() override;
  Result<std::int64_t> commit(const ConfigCommit& commit) override;
  Result<void> appendEvents(const std::vector<AdminEventRecord>& events) override;
  Result<std::vector<AdminEventRecord>> events(const AdminEventQuery& query) override;

 private:
  // Each expects the connection's mutex held (and, for writes, a transaction open).
  Result<std::int64_t> readRevision(bool forUpdate);
  Result<void> insertObjects(std::span<const ConfigChange> creates);
  Result<void> updateOrDelete(const ConfigChange& change);
  Result<void> updateObjects(std::span<const ConfigChange> updates);
  Result<void> insertEvents(const std::vector<AdminEventRecord>& events, std::int64_t revision);
  std::shared_ptr<PostgresDb> db_;
};

}  // namespace tessera::store
