#include "store/postgres/postgres_signing_key_repository.hpp"

namespace tessera::store {

namespace {
SqlValue optionalInt(const std::optional<std::int64_t>& v) {
  return v ? SqlValue(*v) : SqlValue(nullptr);
}
constexpr const char* kBumpVersion = "UPDATE store_version SET version = version + 1 WHERE id = 1";
}  // namespace

Result<std::vector<SigningKeyRecord>> PostgresSigningKeyRepository::listPublished(
    std::int64_t now) {
  std::lock_guard lock(db_->mutex());
  const SqlValue params[] = {now};
  auto q = db_->query(
      "SELECT kid, algorithm, public_jwk, sealed_private_jwk, created_at, activates_at, "
      "retires_at, remove_at FROM signing_keys WHERE remove_at IS NULL OR remove_at > $1 "
      "ORDER BY activates_at, created_at",
      params);
  if (!q) {
    return std::move(q).error();
  }
  std::vector<SigningKeyRecord> out;
  for (int i = 0; i < q->rows(); ++i) {
    SigningKeyRecord r;
    r.kid = q->text(i, 0);
    r.algorithm = q->text(i, 1);
    r.publicJwk = q->text(i, 2);
    r.sealedPrivateJwk = q->text(i, 3);
    r.createdAt = q->integer(i, 4);
    r.activatesAt = q->integer(i, 5);
    r.retiresAt = q->optionalInteger(i, 6);
    r.removeAt = q->optionalInteger(i, 7);
    out.push_back(std::move(r));
  }
  return out;
}

Result<void> PostgresSigningKeyRepository::rotate(
    const SigningKeyRecord& next, const std::optional<std::string>& expectedNewestKid,
    std::optional<std::int64_t> retiringRemoveAt) {
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<void> {
    // Replicas rotating the same algorithm queue here; the loser then sees the winner's key.
    const SqlValue lockKey[] = {"signing-keys:" + next.algorithm};
    TESSERA_RETURN_IF_ERROR(db_->exec("SELECT pg_advisory_xact_lock(hashtext($1))", lockKey));
    const SqlValue alg[] = {next.algorithm};
    auto newest = db_->query(
        "SELECT kid FROM signing_keys WHERE algorithm = $1 "
        "ORDER BY activates_at DESC, created_at DESC LIMIT 1",
        alg);
    if (!newest) {
      return std::move(newest).error();
    }
    std::optional<std::string> actual;
    if (newest->rows() > 0) {
      actual = newest->text(0, 0);
    }
    if (actual != expectedNewestKid) {
      return fail(ErrorCode::kConflict, "another rotation of " + next.algorithm +
                                            " keys happened at the same time; try again");
    }
    if (actual) {
      const SqlValue retire[] = {next.activatesAt, optionalInt(retiringRemoveAt), *actual};
      TESSERA_RETURN_IF_ERROR(
          db_->exec("UPDATE signing_keys SET retires_at = $1, remove_at = $2 WHERE kid = $3 AND "
                    "retires_at IS NULL",
                    retire));
    }
    const SqlValue values[] = {next.kid,
                               next.algorithm,
                               next.publicJwk,
                               next.sealedPrivateJwk,
                               next.createdAt,
                               next.activatesAt,
                               optionalInt(next.retiresAt),
                               optionalInt(next.removeAt)};
    TESSERA_RETURN_IF_ERROR(db_->exec(
        "INSERT INTO signing_keys (kid, algorithm, public_jwk, sealed_private_jwk, created_at, "
        "activates_at, retires_at, remove_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        values));
    return db_->exec(kBumpVersion);
  });
}

Result<int> PostgresSigningKeyRepository::purgeRemoved(std::int64_t now) {
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<int> {
    const SqlValue params[] = {now};
    auto deleted = db_->query(
        "DELETE FROM signing_keys WHERE remove_at IS NOT NULL AND remove_at <= $1 RETURNING kid",
        params);
    if (!deleted) {
      return std::move(deleted).error();
    }
    if (deleted->rows() > 0) {
      TESSERA_RETURN_IF_ERROR(db_->exec(kBumpVersion));
    }
    return deleted->rows();
  });
}

Result<std::int64_t> PostgresSigningKeyRepository::version() {
  std::lock_guard lock(db_->mutex());
  auto q = db_->query("SELECT version FROM store_version WHERE id = 1");
  if (!q) {
    return std::move(q).error();
  }
  return q->rows() > 0 ? q->integer(0, 0) : 0;
}

}  // namespace tessera::store
