// AdminTokenRepository on the embedded SQLite store.
#pragma once

#include <memory>

#include "store/admin_token_repository.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace tessera::store {

class SqliteAdminTokenRepository final : public AdminTokenRepository {
 public:
  explicit SqliteAdminTokenRepository(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Result<void> insert(const AdminTokenRecord& token) override;
  Result<std::optional<AdminTokenRecord>> find(const std::string& id) override;
  Result<std::vector<AdminTokenRecord>> list() override;
  Result<void> revoke(const std::string& id, std::int64_t at) override;

 private:
  Result<std::vector<AdminTokenRecord>> select(const std::string& where, const SqlValue* param);
  std::shared_ptr<SqliteDb> db_;
};

}  // namespace tessera::store
