#include "store/sqlite/sqlite_signing_key_repository.hpp"

namespace tessera::store {

namespace {
SqlValue optionalInt(const std::optional<std::int64_t>& v) {
  return v ? SqlValue(*v) : SqlValue(nullptr);
}

Result<void> bumpVersion(SqliteDb& db) {
  return db.exec("UPDATE store_version SET version = version + 1 WHERE id = 1");
}
}  // namespace

Result<std::vector<SigningKeyRecord>> SqliteSigningKeyRepository::listPublished(std::int64_t now) {
  std::lock_guard lock(db_->mutex());
  auto q = db_->prepare(
      "SELECT kid, algorithm, public_jwk, sealed_private_jwk, created_at, activates_at, "
      "retires_at, remove_at FROM signing_keys WHERE remove_at IS NULL OR remove_at > ? "
      "ORDER BY activates_at, created_at");
  if (!q) {
    return std::move(q).error();
  }
  q->bind(1, now);
  std::vector<SigningKeyRecord> out;
  for (;;) {
    auto row = q->step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      break;
    }
    SigningKeyRecord r;
    r.kid = q->columnText(0);
    r.algorithm = q->columnText(1);
    r.publicJwk = q->columnText(2);
    r.sealedPrivateJwk = q->columnText(3);
    r.createdAt = q->columnInt(4);
    r.activatesAt = q->columnInt(5);
    r.retiresAt = q->columnOptionalInt(6);
    r.removeAt = q->columnOptionalInt(7);
    out.push_back(std::move(r));
  }
  return out;
}

Result<void> SqliteSigningKeyRepository::rotate(const SigningKeyRecord& next,
                                                const std::optional<std::string>& expectedNewestKid,
                                                std::optional<std::int64_t> retiringRemoveAt) {
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<void> {
    auto newest = db_->prepare(
        "SELECT kid FROM signing_keys WHERE algorithm = ? "
        "ORDER BY activates_at DESC, created_at DESC LIMIT 1");
    if (!newest) {
      return std::move(newest).error();
    }
    newest->bind(1, next.algorithm);
    auto row = newest->step();
    if (!row) {
      return std::move(row).error();
    }
    std::optional<std::string> actual;
    if (*row) {
      actual = newest->columnText(0);
    }
    if (actual != expectedNewestKid) {
      return fail(ErrorCode::kConflict, "another rotation of " + next.algorithm +
                                            " keys happened at the same time; try again");
    }
    if (actual) {
      auto retire = db_->prepare(
          "UPDATE signing_keys SET retires_at = ?, remove_at = ? WHERE kid = ? AND "
          "retires_at IS NULL");
      if (!retire) {
        return std::move(retire).error();
      }
      const SqlValue values[] = {next.activatesAt, optionalInt(retiringRemoveAt), *actual};
      if (auto r = retire->bindAll(values).run(); !r) {
        return r;
      }
    }
    auto ins = db_->prepare(
        "INSERT INTO signing_keys (kid, algorithm, public_jwk, sealed_private_jwk, created_at, "
        "activates_at, retires_at, remove_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins) {
      return std::move(ins).error();
    }
    const SqlValue values[] = {next.kid,
                               next.algorithm,
                               next.publicJwk,
                               next.sealedPrivateJwk,
                               next.createdAt,
                               next.activatesAt,
                               optionalInt(next.retiresAt),
                               optionalInt(next.removeAt)};
    if (auto r = ins->bindAll(values).run(); !r) {
      return r;
    }
    return bumpVersion(*db_);
  });
}

Result<int> SqliteSigningKeyRepository::purgeRemoved(std::int64_t now) {
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<int> {
    auto del =
        db_->prepare("DELETE FROM signing_keys WHERE remove_at IS NOT NULL AND remove_at <= ?");
    if (!del) {
      return std::move(del).error();
    }
    del->bind(1, now);
    if (auto r = del->run(); !r) {
      return std::move(r).error();
    }
    const int removed = static_cast<int>(db_->changes());
    if (removed > 0) {
      if (auto r = bumpVersion(*db_); !r) {
        return std::move(r).error();
      }
    }
    return removed;
  });
}

Result<std::int64_t> SqliteSigningKeyRepository::version() {
  std::lock_guard lock(db_->mutex());
  auto version = db_->queryInt("SELECT version FROM store_version WHERE id = 1");
  if (!version) {
    return std::move(version).error();
  }
  return version->value_or(0);
}

}  // namespace tessera::store
