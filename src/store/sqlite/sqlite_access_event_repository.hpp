// AccessEventRepository on the embedded SQLite store. Opened by store.cpp.
#pragma once

#include <memory>

#include "store/access_event_repository.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace tessera::store {

class SqliteAccessEventRepository final : public AccessEventRepository {
 public:
  explicit SqliteAccessEventRepository(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Result<void> append(const std::vector<AccessEventRecord>& events) override;
  Result<AccessEventPage> query(const AccessEventQuery& query) override;
  Result<AccessEventRecord> get(const std::string& id) override;

 private:
  std::shared_ptr<SqliteDb> db_;
};

}  // namespace tessera::store
