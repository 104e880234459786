#include "store/postgres/postgres_admin_token_repository.hpp"

namespace tessera::store {

Result<void> PostgresAdminTokenRepository::insert(const AdminTokenRecord& t) {
  std::lock_guard lock(db_->mutex());
  const SqlValue values[] = {t.id, t.secretHash, t.role, t.description, t.createdAt};
  auto r = db_->exec(
      "INSERT INTO admin_tokens (id, secret_hash, role, description, created_at, revoked_at) "
      "VALUES ($1, $2, $3, $4, $5, NULL)",
      values);
  if (!r && r.error().code == ErrorCode::kAlreadyExists) {
    return fail(ErrorCode::kAlreadyExists, "admin token " + t.id + " already exists");
  }
  return r;
}

Result<std::vector<AdminTokenRecord>> PostgresAdminTokenRepository::select(
    const std::string& where, std::span<const SqlValue> params) {
  auto q = db_->query(
      "SELECT id, secret_hash, role, description, created_at, revoked_at FROM admin_tokens " +
          where + " ORDER BY created_at, id",
      params);
  if (!q) {
    return std::move(q).error();
  }
  std::vector<AdminTokenRecord> out;
  for (int i = 0; i < q->rows(); ++i) {
    out.push_back({q->text(i, 0), q->text(i, 1), q->text(i, 2), q->text(i, 3), q->integer(i, 4),
                   q->optionalInteger(i, 5)});
  }
  return out;
}

Result<std::optional<AdminTokenRecord>> PostgresAdminTokenRepository::find(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  const SqlValue params[] = {id};
  auto rows = select("WHERE id = $1", params);
  if (!rows) {
    return std::move(rows).error();
  }
  if (rows->empty()) {
    return std::optional<AdminTokenRecord>();
  }
  return std::optional<AdminTokenRecord>(std::move(rows->front()));
}

Result<std::vector<AdminTokenRecord>> PostgresAdminTokenRepository::list() {
  std::lock_guard lock(db_->mutex());
  return select("", {});
}

Result<void> PostgresAdminTokenRepository::revoke(const std::string& id, std::int64_t at) {
  std::lock_guard lock(db_->mutex());
  const SqlValue values[] = {at, id};
  auto q = db_->query(
      "UPDATE admin_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING id",
      values);
  if (!q) {
    return std::move(q).error();
  }
  if (q->rows() == 0) {
    return fail(ErrorCode::kNotFound, "no admin token " + id);
  }
  return {};
}

}  // namespace tessera::store
