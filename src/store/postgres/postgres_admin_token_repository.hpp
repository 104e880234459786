// AdminTokenRepository on PostgreSQL.
#pragma once

#include <memory>

#include "store/admin_token_repository.hpp"
#include "store/postgres/postgres_db.hpp"

namespace tessera::store {

class PostgresAdminTokenRepository final : public AdminTokenRepository {
 public:
  explicit PostgresAdminTokenRepository(std::shared_ptr<PostgresDb> db) : db_(std::move(db)) {}
  Result<void> insert(const AdminTokenRecord& token) override;
  Result<std::optional<AdminTokenRecord>> find(const std::string& id) override;
  Result<std::vector<AdminTokenRecord>> list() override;
  Result<void> revoke(const std::string& id, std::int64_t at) override;

 private:
  Result<std::vector<AdminTokenRecord>> select(const std::string& where,
                                               std::span<const SqlValue> params);
  std::shared_ptr<PostgresDb> db_;
};

}  // namespace tessera::store
