// ConfigRepository on the embedded SQLite store: change sets run in BEGIN IMMEDIATE, so writers
// (threads sharing the connection, or other processes on the file) are serialised by SQLite's
// write lock. Opened by store.cpp.
#pragma once

#include <memory>

#include "store/config_repository.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace tessera::store {

class SqliteConfigRepository final : public ConfigRepository {
 public:
  explicit SqliteConfigRepository(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Result<std::int64_t> revision() override;
  Result<ConfigState> load() override;
  Result<std::int64_t> commit(const ConfigCommit& commit) override;
  Result<void> appendEvents(const std::vector<AdminEventRecord>& events) override;
  Result<std::vector<AdminEventRecord>> events(const AdminEventQuery& query) override;

 private:
  // Each expects the connection's mutex held (and, for writes, a transaction open).
  Result<std::int64_t> readRevision();
  Result<void> applyChanges(const std::vector<ConfigChange>& changes);
  Result<void> insertEvents(const std::vector<AdminEventRecord>& events, std::int64_t revision);
  std::shared_ptr<SqliteDb> db_;
};

}  // namespace tessera::store
