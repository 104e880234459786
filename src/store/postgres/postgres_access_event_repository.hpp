// AccessEventRepository on PostgreSQL: replicas append concurrently (ids are unique per
// decision, so they never wait on each other). Opened by store.cpp.
#pragma once

#include <memory>

#include "store/access_event_repository.hpp"
#include "store/postgres/postgres_db.hpp"

namespace tessera::store {

class PostgresAccessEventRepository final : public AccessEventRepository {
 public:
  explicit PostgresAccessEventRepository(std::shared_ptr<PostgresDb> db) : db_(std::move(db)) {}
  Result<void> append(const std::vector<AccessEventRecord>& events) override;
  Result<AccessEventPage> query(const AccessEventQuery& query) override;
  Result<AccessEventRecord> get(const std::string& id) override;

 private:
  std::shared_ptr<PostgresDb> db_;
};

}  // namespace tessera::store
