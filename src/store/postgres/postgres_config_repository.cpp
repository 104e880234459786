#include "store/postgres/postgres_config_repository.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "store/config_errors.hpp"

namespace tessera::store {

namespace {

// Rows per multi-row INSERT: 500 objects (3,000 parameters) or 500 events (4,500), well below
// the protocol's 65,535 parameters per statement.
constexpr std::size_t kBatchRows = 500;

}  // namespace

Result<std::int64_t> PostgresConfigRepository::readRevision(bool forUpdate) {
  auto q = db_->query(forUpdate ? "SELECT revision FROM config_revision WHERE id = 1 FOR UPDATE"
                                : "SELECT revision FROM config_revision WHERE id = 1");
  if (!q) {
    return std::move(q).error();
  }
  if (q->rows() == 0) {
    return fail(ErrorCode::kStoreFailure,
                "PostgreSQL store " + db_->where() + " has no configuration revision row");
  }
  return q->integer(0, 0);
}

Result<std::int64_t> PostgresConfigRepository::revision() {
  std::lock_guard lock(db_->mutex());
  return readRevision(false);
}

Result<ConfigState> PostgresConfigRepository::load() {
  std::lock_guard lock(db_->mutex());
  // One snapshot for the revision and the rows, even while another replica commits.
  return runInTransaction(
      *db_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [&]() -> Result<ConfigState> {
        ConfigState state;
        TESSERA_ASSIGN_OR_RETURN(state.revision, readRevision(false));
        // Byte order, as SQLite sorts, whatever the database's collation.
        auto q = db_->query(
            "SELECT kind, name, document, created_at, updated_at, version FROM config_objects "
            "ORDER BY kind COLLATE \"C\", name COLLATE \"C\"");
        if (!q) {
          return std::move(q).error();
        }
        state.records.reserve(static_cast<std::size_t>(q->rows()));
        for (int i = 0; i < q->rows(); ++i) {
          ConfigRecord r;
          r.kind = q->text(i, 0);
          r.name = q->text(i, 1);
          r.document = q->text(i, 2);
          r.createdAt = q->integer(i, 3);
          r.updatedAt = q->integer(i, 4);
          r.version = q->integer(i, 5);
          state.records.push_back(std::move(r));
        }
        return state;
      });
}

Result<void> PostgresConfigRepository::insertObjects(std::span<const ConfigChange> creates) {
  std::vector<SqlValue> params;
  params.reserve(creates.size() * 6);
  for (const auto& c : creates) {
    const auto& r = c.record;
    params.insert(params.end(), {r.kind, r.name, r.document, r.createdAt, r.updatedAt, r.version});
  }
  auto q = db_->query(
      "INSERT INTO config_objects (kind, name, document, created_at, updated_at, version) VALUES " +
          valuesPlaceholders(creates.size(), 6) +
          " ON CONFLICT (kind, name) DO NOTHING RETURNING kind, name",
      params);
  if (!q) {
    return std::move(q).error();
  }
  if (static_cast<std::size_t>(q->rows()) == creates.size()) {
    return {};
  }
  // Some rows were skipped: the first create, in change order, whose row was not inserted by
  // it (it existed before, or an earlier create in this batch made it).
  std::map<std::pair<std::string, std::string>, int> inserted;
  for (int i = 0; i < q->rows(); ++i) {
    ++inserted[{q->text(i, 0), q->text(i, 1)}];
  }
  for (const auto& c : creates) {
    auto it = inserted.find({c.record.kind, c.record.name});
    if (it == inserted.end() || it->second == 0) {
      return configObjectExists(c.record);
    }
    --it->second;
  }
  return fail(ErrorCode::kStoreFailure,
              "PostgreSQL store " + db_->where() + ": configuration insert skipped rows");
}

Result<void> PostgresConfigRepository::updateOrDelete(const ConfigChange& change) {
  const auto& r = change.record;
  auto q = [&] {
    if (change.op == ConfigChange::Op::kUpdate) {
      const SqlValue values[] = {r.document, r.updatedAt, r.version, r.kind, r.name, r.version - 1};
      return db_->query(
          "UPDATE config_objects SET document = $1, updated_at = $2, version = $3 "
          "WHERE kind = $4 AND name = $5 AND version = $6 RETURNING version",
          values);
    }
    const SqlValue values[] = {r.kind, r.name, r.version};
    return db_->query(
        "DELETE FROM config_objects WHERE kind = $1 AND name = $2 AND version = $3 "
        "RETURNING version",
        values);
  }();
  if (!q) {
    return std::move(q).error();
  }
  if (q->rows() > 0) {
    return {};
  }
  // Nothing matched: say whether the object is missing or at another version.
  const SqlValue key[] = {r.kind, r.name};
  auto found = db_->query("SELECT version FROM config_objects WHERE kind = $1 AND name = $2", key);
  if (!found) {
    return std::move(found).error();
  }
  if (found->rows() == 0) {
    return configObjectMissing(change);
  }
  return configVersionMismatch(change, found->integer(0, 0));
}

Result<void> PostgresConfigRepository::updateObjects(std::span<const ConfigChange> updates) {
  std::vector<SqlValue> params;
  params.reserve(updates.size() * 5);
  for (const auto& c : updates) {
    const auto& r = c.record;
    params.insert(params.end(), {r.kind, r.name, r.document, r.updatedAt, r.version});
  }
  // Parameters in VALUES arrive as text; the numbers are cast where they are used.
  auto q = db_->query(
      "UPDATE config_objects AS o SET document = v.document, updated_at = v.updated_at::bigint, "
      "version = v.version::bigint FROM (VALUES " +
          valuesPlaceholders(updates.size(), 5) +
          ") AS v(kind, name, document, updated_at, version) "
          "WHERE o.kind = v.kind AND o.name = v.name AND o.version = v.version::bigint - 1 "
          "RETURNING o.kind, o.name",
      params);
  if (!q) {
    return std::move(q).error();
  }
  if (static_cast<std::size_t>(q->rows()) == updates.size()) {
    return {};
  }
  // Some row was missing or at another version: the single-row path names the first one.
  std::set<std::pair<std::string, std::string>> updated;
  for (int i = 0; i < q->rows(); ++i) {
    updated.emplace(q->text(i, 0), q->text(i, 1));
  }
  for (const auto& c : updates) {
    if (!updated.contains({c.record.kind, c.record.name})) {
      return updateOrDelete(c);
    }
  }
  return fail(ErrorCode::kStoreFailure,
              "PostgreSQL store " + db_->where() + ": configuration update skipped rows");
}

Result<void> PostgresConfigRepository::insertEvents(const std::vector<AdminEventRecord>& events,
                                                    std::int64_t revision) {
  if (events.empty()) {
    return {};
  }
  auto last = db_->query("SELECT COALESCE(MAX(id), 0) FROM admin_events");
  if (!last) {
    return std::move(last).error();
  }
  std::int64_t lastId = last->integer(0, 0);
  for (std::size_t start = 0; start < events.size(); start += kBatchRows) {
    const std::size_t n = std::min(kBatchRows, events.size() - start);
    std::vector<SqlValue> params;
    params.reserve(n * 9);
    for (std::size_t i = start; i < start + n; ++i) {
      const auto& e = events[i];
      params.insert(params.end(), {++lastId, e.at, e.actor, e.action, e.kind, e.name, e.before,
                                   e.after, revision});
    }
    TESSERA_RETURN_IF_ERROR(db_->exec(
        "INSERT INTO admin_events (id, at, actor, action, kind, name, before_doc, after_doc, "
        "revision) VALUES " +
            valuesPlaceholders(n, 9),
        params));
  }
  return {};
}

Result<std::int64_t> PostgresConfigRepository::commit(const ConfigCommit& commit) {
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<std::int64_t> {
    // Replicas committing at once queue on this row lock; the later one then reads the new
    // revision (READ COMMITTED re-reads the locked row) and gets kConflict.
    std::int64_t current = 0;
    TESSERA_ASSIGN_OR_RETURN(current, readRevision(true));
    if (current != commit.expectedRevision) {
      return staleConfigRevision(commit.expectedRevision, current);
    }
    const auto& changes = commit.changes;
    for (std::size_t i = 0; i < changes.size();) {
      const auto op = changes[i].op;
      if (op == ConfigChange::Op::kDelete) {
        TESSERA_RETURN_IF_ERROR(updateOrDelete(changes[i]));
        ++i;
        continue;
      }
      // A run of consecutive creates (or updates) goes in multi-row batches; the order of
      // creates, updates and deletes is kept.
      std::size_t end = i;
      while (end < changes.size() && end - i < kBatchRows && changes[end].op == op) {
        ++end;
      }
      const auto run = std::span<const ConfigChange>(changes).subspan(i, end - i);
      TESSERA_RETURN_IF_ERROR(op == ConfigChange::Op::kCreate ? insertObjects(run)
                                                              : updateObjects(run));
      i = end;
    }
    std::int64_t next = current;
    if (!changes.empty()) {
      next = current + 1;
      const SqlValue values[] = {next};
      TESSERA_RETURN_IF_ERROR(
          db_->exec("UPDATE config_revision SET revision = $1 WHERE id = 1", values));
    }
    TESSERA_RETURN_IF_ERROR(insertEvents(commit.events, next));
    return next;
  });
}

Result<void> PostgresConfigRepository::appendEvents(const std::vector<AdminEventRecord>& events) {
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<void> {
    // The revision row lock also serialises event id assignment.
    TESSERA_RETURN_IF_ERROR(readRevision(true));
    return insertEvents(events, 0);
  });
}

Result<std::vector<AdminEventRecord>> PostgresConfigRepository::events(
    const AdminEventQuery& query) {
  std::lock_guard lock(db_->mutex());
  std::string sql =
      "SELECT id, at, actor, action, kind, name, before_doc, after_doc, revision "
      "FROM admin_events WHERE TRUE";
  std::vector<SqlValue> params;
  auto next = [&] { return "$" + std::to_string(params.size()); };
  if (query.since) {
    params.emplace_back(*query.since);
    sql += " AND at >= " + next();
  }
  if (query.until) {
    params.emplace_back(*query.until);
    sql += " AND at < " + next();
  }
  if (query.kind) {
    params.emplace_back(*query.kind);
    sql += " AND kind = " + next();
  }
  if (query.beforeId) {
    params.emplace_back(*query.beforeId);
    sql += " AND id < " + next();
  }
  params.emplace_back(std::int64_t{clampEventLimit(query.limit)});
  sql += " ORDER BY id DESC LIMIT " + next();
  auto q = db_->query(sql, params);
  if (!q) {
    return std::move(q).error();
  }
  std::vector<AdminEventRecord> out;
  out.reserve(static_cast<std::size_t>(q->rows()));
  for (int i = 0; i < q->rows(); ++i) {
    AdminEventRecord e;
    e.id = q->integer(i, 0);
    e.at = q->integer(i, 1);
    e.actor = q->text(i, 2);
    e.action = q->text(i, 3);
    e.kind = q->text(i, 4);
    e.name = q->text(i, 5);
    e.before = q->text(i, 6);
    e.after = q->text(i, 7);
    e.revision = q->integer(i, 8);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tessera::store
