// SigningKeyRepository on PostgreSQL, shared by every hub replica of a deployment.
#pragma once

#include <memory>

#include "store/postgres/postgres_db.hpp"
#include "store/signing_key_repository.hpp"

namespace tessera::store {

class PostgresSigningKeyRepository final : public SigningKeyRepository {
 public:
  explicit PostgresSigningKeyRepository(std::shared_ptr<PostgresDb> db) : db_(std::move(db)) {}

  Result<std::vector<SigningKeyRecord>> listPublished(std::int64_t now) override;
  Result<void> rotate(const SigningKeyRecord& next,
                      const std::optional<std::string>& expectedNewestKid,
                      std::optional<std::int64_t> retiringRemoveAt) override;
  Result<int> purgeRemoved(std::int64_t now) override;
  Result<std::int64_t> version() override;

 private:
  std::shared_ptr<PostgresDb> db_;
};

}  // namespace tessera::store
