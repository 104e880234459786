#include "store/sqlite/sqlite_admin_token_repository.hpp"

namespace tessera::store {

Result<void> SqliteAdminTokenRepository::insert(const AdminTokenRecord& t) {
  std::lock_guard lock(db_->mutex());
  if (auto existing = db_->prepare("SELECT 1 FROM admin_tokens WHERE id = ?"); !existing) {
    return std::move(existing).error();
  } else if (auto row = existing->bind(1, t.id).step(); !row) {
    return std::move(row).error();
  } else if (*row) {
    return fail(ErrorCode::kAlreadyExists, "admin token " + t.id + " already exists");
  }
  auto ins = db_->prepare(
      "INSERT INTO admin_tokens (id, secret_hash, role, description, created_at, revoked_at) "
      "VALUES (?, ?, ?, ?, ?, NULL)");
  if (!ins) {
    return std::move(ins).error();
  }
  const SqlValue values[] = {t.id, t.secretHash, t.role, t.description, t.createdAt};
  return ins->bindAll(values).run();
}

Result<std::vector<AdminTokenRecord>> SqliteAdminTokenRepository::select(const std::string& where,
                                                                         const SqlValue* param) {
  auto q = db_->prepare(
      "SELECT id, secret_hash, role, description, created_at, revoked_at FROM admin_tokens " +
      where + " ORDER BY created_at, id");
  if (!q) {
    return std::move(q).error();
  }
  if (param != nullptr) {
    q->bind(1, *param);
  }
  std::vector<AdminTokenRecord> out;
  for (;;) {
    auto row = q->step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return out;
    }
    out.push_back({q->columnText(0), q->columnText(1), q->columnText(2), q->columnText(3),
                   q->columnInt(4), q->columnOptionalInt(5)});
  }
}

Result<std::optional<AdminTokenRecord>> SqliteAdminTokenRepository::find(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  const SqlValue param = id;
  auto rows = select("WHERE id = ?", &param);
  if (!rows) {
    return std::move(rows).error();
  }
  if (rows->empty()) {
    return std::optional<AdminTokenRecord>();
  }
  return std::optional<AdminTokenRecord>(std::move(rows->front()));
}

Result<std::vector<AdminTokenRecord>> SqliteAdminTokenRepository::list() {
  std::lock_guard lock(db_->mutex());
  return select("", nullptr);
}

Result<void> SqliteAdminTokenRepository::revoke(const std::string& id, std::int64_t at) {
  std::lock_guard lock(db_->mutex());
  auto q =
      db_->prepare("UPDATE admin_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?");
  if (!q) {
    return std::move(q).error();
  }
  const SqlValue values[] = {at, id};
  TESSERA_RETURN_IF_ERROR(q->bindAll(values).run());
  if (db_->changes() == 0) {
    return fail(ErrorCode::kNotFound, "no admin token " + id);
  }
  return {};
}

}  // namespace tessera::store
