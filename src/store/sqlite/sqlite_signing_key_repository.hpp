// SigningKeyRepository on the embedded SQLite store.
#pragma once

#include <memory>

#include "store/signing_key_repository.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace tessera::store {

class SqliteSigningKeyRepository final : public SigningKeyRepository {
 public:
  explicit SqliteSigningKeyRepository(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Result<std::vector<SigningKeyRecord>> listPublished(std::int64_t now) override;
  Result<void> rotate(const SigningKeyRecord& next,
                      const std::optional<std::string>& expectedNewestKid,
                      std::optional<std::int64_t> retiringRemoveAt) override;
  Result<int> purgeRemoved(std::int64_t now) override;
  Result<std::int64_t> version() override;

 private:
  std::shared_ptr<SqliteDb> db_;
};

}  // namespace tessera::store
