#include "store/sqlite/sqlite_config_repository.hpp"

#include <optional>
#include <string_view>

#include "store/config_errors.hpp"

namespace tessera::store {

namespace {

// A statement prepared on first use and reset for each later use: a change set of thousands of
// rows prepares each statement once.
class ReusedStatement {
 public:
  ReusedStatement(SqliteDb& db, std::string_view sql) : db_(db), sql_(sql) {}

  Result<SqliteStatement*> get() {
    if (statement_) {
      statement_->reset();
    } else {
      auto prepared = db_.prepare(sql_);
      if (!prepared) {
        return std::move(prepared).error();
      }
      statement_.emplace(std::move(*prepared));
    }
    return &*statement_;
  }

 private:
  SqliteDb& db_;
  std::string_view sql_;
  std::optional<SqliteStatement> statement_;
};

constexpr std::string_view kInsertObject =
    "INSERT INTO config_objects (kind, name, document, created_at, updated_at, version) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, name) DO NOTHING";
constexpr std::string_view kUpdateObject =
    "UPDATE config_objects SET document = ?, updated_at = ?, version = ? "
    "WHERE kind = ? AND name = ? AND version = ?";
constexpr std::string_view kDeleteObject =
    "DELETE FROM config_objects WHERE kind = ? AND name = ? AND version = ?";
constexpr std::string_view kObjectVersion =
    "SELECT version FROM config_objects WHERE kind = ? AND name = ?";

AdminEventRecord eventFromRow(const SqliteStatement& q) {
  AdminEventRecord e;
  e.id = q.columnInt(0);
  e.at = q.columnInt(1);
  e.actor = q.columnText(2);
  e.action = q.columnText(3);
  e.kind = q.columnText(4);
  e.name = q.columnText(5);
  e.before = q.columnText(6);
  e.after = q.columnText(7);
  e.revision = q.columnInt(8);
  return e;
}

}  // namespace

Result<std::int64_t> SqliteConfigRepository::readRevision() {
  auto revision = db_->queryInt("SELECT revision FROM config_revision WHERE id = 1");
  if (!revision) {
    return std::move(revision).error();
  }
  if (!*revision) {
    return fail(ErrorCode::kStoreFailure,
                "SQLite store " + db_->path() + " has no configuration revision row");
  }
  return **revision;
}

Result<std::int64_t> SqliteConfigRepository::revision() {
  std::lock_guard lock(db_->mutex());
  return readRevision();
}

Result<ConfigState> SqliteConfigRepository::load() {
  std::lock_guard lock(db_->mutex());
  // A deferred transaction: one read snapshot for the revision and the rows.
  return runInTransaction(*db_, "BEGIN", [&]() -> Result<ConfigState> {
    ConfigState state;
    TESSERA_ASSIGN_OR_RETURN(state.revision, readRevision());
    auto q = db_->prepare(
        "SELECT kind, name, document, created_at, updated_at, version FROM config_objects "
        "ORDER BY kind, name");
    if (!q) {
      return std::move(q).error();
    }
    for (;;) {
      auto row = q->step();
      if (!row) {
        return std::move(row).error();
      }
      if (!*row) {
        return state;
      }
      ConfigRecord r;
      r.kind = q->columnText(0);
      r.name = q->columnText(1);
      r.document = q->columnText(2);
      r.createdAt = q->columnInt(3);
      r.updatedAt = q->columnInt(4);
      r.version = q->columnInt(5);
      state.records.push_back(std::move(r));
    }
  });
}

Result<void> SqliteConfigRepository::applyChanges(const std::vector<ConfigChange>& changes) {
  ReusedStatement insert(*db_, kInsertObject);
  ReusedStatement update(*db_, kUpdateObject);
  ReusedStatement remove(*db_, kDeleteObject);
  ReusedStatement version(*db_, kObjectVersion);
  for (const auto& change : changes) {
    const auto& r = change.record;
    SqliteStatement* q = nullptr;
    switch (change.op) {
      case ConfigChange::Op::kCreate: {
        TESSERA_ASSIGN_OR_RETURN(q, insert.get());
        const SqlValue values[] = {r.kind, r.name, r.document, r.createdAt, r.updatedAt, r.version};
        TESSERA_RETURN_IF_ERROR(q->bindAll(values).run());
        if (db_->changes() == 0) {
          return configObjectExists(r);
        }
        continue;
      }
      case ConfigChange::Op::kUpdate: {
        TESSERA_ASSIGN_OR_RETURN(q, update.get());
        const SqlValue values[] = {r.document, r.updatedAt, r.version,
                                   r.kind,     r.name,      r.version - 1};
        TESSERA_RETURN_IF_ERROR(q->bindAll(values).run());
        break;
      }
      case ConfigChange::Op::kDelete: {
        TESSERA_ASSIGN_OR_RETURN(q, remove.get());
        const SqlValue values[] = {r.kind, r.name, r.version};
        TESSERA_RETURN_IF_ERROR(q->bindAll(values).run());
        break;
      }
    }
    if (db_->changes() > 0) {
      continue;
    }
    // Nothing matched: say whether the object is missing or at another version.
    TESSERA_ASSIGN_OR_RETURN(q, version.get());
    const SqlValue key[] = {r.kind, r.name};
    auto row = q->bindAll(key).step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return configObjectMissing(change);
    }
    return configVersionMismatch(change, q->columnInt(0));
  }
  return {};
}

Result<void> SqliteConfigRepository::insertEvents(const std::vector<AdminEventRecord>& events,
                                                  std::int64_t revision) {
  if (events.empty()) {
    return {};
  }
  std::int64_t lastId = 0;
  {
    auto q = db_->prepare("SELECT COALESCE(MAX(id), 0) FROM admin_events");
    if (!q) {
      return std::move(q).error();
    }
    auto row = q->step();
    if (!row) {
      return std::move(row).error();
    }
    lastId = q->columnInt(0);
  }
  ReusedStatement insert(
      *db_,
      "INSERT INTO admin_events (id, at, actor, action, kind, name, before_doc, after_doc, "
      "revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& e : events) {
    SqliteStatement* q = nullptr;
    TESSERA_ASSIGN_OR_RETURN(q, insert.get());
    const SqlValue values[] = {++lastId, e.at,     e.actor, e.action, e.kind,
                               e.name,   e.before, e.after, revision};
    TESSERA_RETURN_IF_ERROR(q->bindAll(values).run());
  }
  return {};
}

Result<std::int64_t> SqliteConfigRepository::commit(const ConfigCommit& commit) {
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<std::int64_t> {
    std::int64_t current = 0;
    TESSERA_ASSIGN_OR_RETURN(current, readRevision());
    if (current != commit.expectedRevision) {
      return staleConfigRevision(commit.expectedRevision, current);
    }
    std::int64_t next = current;
    if (!commit.changes.empty()) {
      TESSERA_RETURN_IF_ERROR(applyChanges(commit.changes));
      next = current + 1;
      auto bump = db_->prepare("UPDATE config_revision SET revision = ? WHERE id = 1");
      if (!bump) {
        return std::move(bump).error();
      }
      TESSERA_RETURN_IF_ERROR(bump->bind(1, next).run());
    }
    TESSERA_RETURN_IF_ERROR(insertEvents(commit.events, next));
    return next;
  });
}

Result<void> SqliteConfigRepository::appendEvents(const std::vector<AdminEventRecord>& events) {
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<void> { return insertEvents(events, 0); });
}

Result<std::vector<AdminEventRecord>> SqliteConfigRepository::events(const AdminEventQuery& query) {
  std::lock_guard lock(db_->mutex());
  std::string sql =
      "SELECT id, at, actor, action, kind, name, before_doc, after_doc, revision "
      "FROM admin_events WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (query.since) {
    sql += " AND at >= ?";
    params.emplace_back(*query.since);
  }
  if (query.until) {
    sql += " AND at < ?";
    params.emplace_back(*query.until);
  }
  if (query.kind) {
    sql += " AND kind = ?";
    params.emplace_back(*query.kind);
  }
  if (query.beforeId) {
    sql += " AND id < ?";
    params.emplace_back(*query.beforeId);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(std::int64_t{clampEventLimit(query.limit)});
  auto q = db_->prepare(sql);
  if (!q) {
    return std::move(q).error();
  }
  q->bindAll(params);
  std::vector<AdminEventRecord> out;
  for (;;) {
    auto row = q->step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return out;
    }
    out.push_back(eventFromRow(*q));
  }
}

}  // namespace tessera::store
