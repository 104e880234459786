#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace tessera::store {

namespace {
constexpr int kBusyTimeoutMs = 5000;
constexpr std::int64_t kCheckpointBytes = 16 * 1024 * 1024;  // WAL between checkpoints

// SQLite keeps allocation statistics by default, behind a global mutex taken on every malloc and
// free; the hub never reads them. Turning them off must happen before SQLite initializes, so the
// first open does it; when something else in the process initialized SQLite first, the call is
// refused and the statistics stay on, which is only slower.
void configureSqliteOnce() {
  static const bool configured = [] {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)configured;
}
}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::filesystem::path& path) {
  configureSqliteOnce();
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return fail(ErrorCode::kStoreFailure,
                "cannot open SQLite store " + path.string() + ": " + message);
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path.string()));
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // A new store gets 16 KB pages rather than 4 KB: an access event's document is about 2 KB, and
  // every page costs two writes to the WAL and one at the checkpoint, so fewer, larger pages cut
  // the hub's CPU per decision by 4 to 7% (bench/access). An existing store keeps the page size
  // it was made with (SQLite ignores the setting once the file has tables; docs/operations.md
  // says how to convert one offline).
  // Checkpoints every 16 MB of WAL (4,096 pages of 4 KB, 1,024 of 16 KB) rather than SQLite's
  // 1,000 pages: under a stream of access events each checkpoint re-copies the same hot index
  // pages and syncs the file, and spacing them out cut the CPU per stored event by about a tenth
  // (bench/store). Not further: a checkpoint's sync stalls the event writer, and with 64 MB
  // between them the stall outlasted what the writer's queue absorbs at 30,000 decisions/s
  // (p99 of 150-300 ms in bench/access). A WAL that a long reader let grow past 64 MB is
  // truncated back to that after its checkpoint.
  for (const char* pragma :
       {"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL", "PRAGMA journal_size_limit=67108864"}) {
    if (auto r = db->exec(pragma); !r) {
      return std::move(r).error();
    }
  }
  auto pageSize = db->queryInt("PRAGMA page_size");
  if (!pageSize) {
    return std::move(pageSize).error();
  }
  const std::int64_t bytes = pageSize->value_or(0);
  if (bytes <= 0) {
    return fail(ErrorCode::kStoreFailure,
                "cannot read the page size of SQLite store " + path.string());
  }
  if (auto r = db->exec("PRAGMA wal_autocheckpoint=" +
                        std::to_string(std::max<std::int64_t>(1, kCheckpointBytes / bytes)));
      !r) {
    return std::move(r).error();
  }
  return db;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::openInMemory() {
  configureSqliteOnce();
  sqlite3* raw = nullptr;
  if (sqlite3_open(":memory:", &raw) != SQLITE_OK) {
    sqlite3_close(raw);
    return fail(ErrorCode::kStoreFailure, "cannot open in-memory SQLite");
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, ":memory:"));
  if (auto r = db->exec("PRAGMA foreign_keys=ON"); !r) {
    return std::move(r).error();
  }
  return db;
}

SqliteDb::~SqliteDb() {
  sqlite3_close_v2(db_);
}

Error SqliteDb::lastError(std::string_view what) const {
  return Error{ErrorCode::kStoreFailure,
               std::string(what) + " failed in SQLite store " + path_ + ": " + sqlite3_errmsg(db_)};
}

Result<void> SqliteDb::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    return fail(ErrorCode::kStoreFailure,
                "statement failed in SQLite store " + path_ + ": " + message);
  }
  return {};
}

Result<SqliteStatement> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return lastError("prepare");
  }
  return SqliteStatement(this, stmt);
}

Result<std::optional<std::int64_t>> SqliteDb::queryInt(std::string_view sql) {
  auto q = prepare(sql);
  if (!q) {
    return std::move(q).error();
  }
  auto row = q->step();
  if (!row) {
    return std::move(row).error();
  }
  return *row ? std::optional<std::int64_t>(q->columnInt(0)) : std::nullopt;
}

std::int64_t SqliteDb::changes() const {
  return sqlite3_changes64(db_);
}

std::int64_t SqliteDb::lastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_),
      stmt_(other.stmt_),
      bindError_(std::move(other.bindError_)),
      bindFailed_(other.bindFailed_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::bind(int index, const SqlValue& value) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::nullptr_t>(value)) {
    rc = sqlite3_bind_null(stmt_, index);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    rc = sqlite3_bind_int64(stmt_, index, *i);
  } else {
    const auto& s = std::get<std::string>(value);
    rc = sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK && !bindFailed_) {
    bindFailed_ = true;
    bindError_ = db_->lastError("bind");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bindBorrowedText(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK && !bindFailed_) {
    bindFailed_ = true;
    bindError_ = db_->lastError("bind");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bindInt(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && !bindFailed_) {
    bindFailed_ = true;
    bindError_ = db_->lastError("bind");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bindAll(std::span<const SqlValue> values) {
  int index = 1;
  for (const auto& v : values) {
    bind(index++, v);
  }
  return *this;
}

Result<bool> SqliteStatement::step() {
  if (bindFailed_) {
    return bindError_;
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return db_->lastError("step");
}

Result<void> SqliteStatement::run() {
  for (;;) {
    auto r = step();
    if (!r) {
      return std::move(r).error();
    }
    if (!*r) {
      return {};
    }
  }
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t SqliteStatement::columnInt(int i) const {
  return sqlite3_column_int64(stmt_, i);
}

std::optional<std::int64_t> SqliteStatement::columnOptionalInt(int i) const {
  if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) {
    return std::nullopt;
  }
  return sqlite3_column_int64(stmt_, i);
}

SqliteStatement& SqliteStatement::bindBlob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                                   SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && !bindFailed_) {
    bindFailed_ = true;
    bindError_ = db_->lastError("bind");
  }
  return *this;
}

std::string_view SqliteStatement::columnBytes(int i) const {
  const auto* bytes = sqlite3_column_blob(stmt_, i);
  const int n = sqlite3_column_bytes(stmt_, i);
  return bytes ? std::string_view(static_cast<const char*>(bytes), static_cast<std::size_t>(n))
               : std::string_view();
}

std::string SqliteStatement::columnText(int i) const {
  const auto* text = sqlite3_column_text(stmt_, i);
  const int n = sqlite3_column_bytes(stmt_, i);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n))
              : std::string();
}

std::optional<std::string> SqliteStatement::columnOptionalText(int i) const {
  if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) {
    return std::nullopt;
  }
  return columnText(i);
}

Result<int> applyMigrations(SqliteDb& db, std::span<const Migration> migrations) {
  TESSERA_RETURN_IF_ERROR(db.exec(kCreateMigrationsTable));
  int current = 0;
  {
    auto q = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!q) {
      return std::move(q).error();
    }
    auto row = q->step();
    if (!row) {
      return std::move(row).error();
    }
    current = static_cast<int>(q->columnInt(0));
  }
  TESSERA_RETURN_IF_ERROR(checkSchemaNotNewer(current, migrations, db.path()));
  for (const auto& m : migrations) {
    if (m.version <= current) {
      continue;
    }
    auto applied = db.transaction([&]() -> Result<void> {
      if (auto r = db.exec(m.sql); !r) {
        return migrationFailed(m, r.error());
      }
      auto ins = db.prepare(
          "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, "
          "strftime('%s','now'))");
      if (!ins) {
        return std::move(ins).error();
      }
      const SqlValue values[] = {std::int64_t{m.version}, std::string(m.description)};
      return ins->bindAll(values).run();
    });
    if (!applied) {
      return std::move(applied).error();
    }
    current = m.version;
  }
  return current;
}

}  // namespace tessera::store
