// Where the hub keeps admin API tokens: only a SHA-256 of each token's secret is stored, never
// the secret. Implemented per store backend; used by hub/admin_tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tessera::store {

struct AdminTokenRecord {
  std::string id;          // public part of the token, shown in listings and audit
  std::string secretHash;  // hex SHA-256 of the secret part
  std::string role;        // admin, editor, auditor, edge
  std::string description;
  std::int64_t createdAt = 0;
  std::optional<std::int64_t> revokedAt;
};

class AdminTokenRepository {
 public:
  virtual ~AdminTokenRepository() = default;
  // kAlreadyExists when the id is taken.
  virtual Result<void> insert(const AdminTokenRecord& token) = 0;
  virtual Result<std::optional<AdminTokenRecord>> find(const std::string& id) = 0;
  virtual Result<std::vector<AdminTokenRecord>> list() = 0;
  // kNotFound for an unknown id; revoking twice keeps the first time.
  virtual Result<void> revoke(const std::string& id, std::int64_t at) = 0;
};

}  // namespace tessera::store
