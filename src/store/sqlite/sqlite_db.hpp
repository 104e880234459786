// A thin RAII layer over SQLite: one connection, prepared statements, transactions, and the
// versioned migration runner. The SQLite repositories are built on it; nothing else calls sqlite3.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/migrations.hpp"
#include "store/sql_value.hpp"
#include "store/transaction.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace tessera::store {

class SqliteStatement;

class SqliteDb {
 public:
  // Opens (creating if needed) with WAL journal, foreign keys on, and a busy timeout so that
  // several processes (hub and CLI) can share the file.
  static Result<std::unique_ptr<SqliteDb>> open(const std::filesystem::path& path);
  static Result<std::unique_ptr<SqliteDb>> openInMemory();
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Result<void> exec(std::string_view sql);
  Result<SqliteStatement> prepare(std::string_view sql);
  // The first column of the first row of a query without parameters (a count, a version, a
  // pragma's value), or nullopt when it returns no row.
  Result<std::optional<std::int64_t>> queryInt(std::string_view sql);

  // Runs body inside BEGIN IMMEDIATE ... COMMIT; rolls back when body fails.
  template <typename F>
  auto transaction(F&& body) -> decltype(body());

  std::int64_t changes() const;
  // The rowid the last successful INSERT on this connection gave its row.
  std::int64_t lastInsertRowid() const;
  const std::string& path() const { return path_; }

  // One statement or transaction at a time on this connection: every repository sharing it
  // holds this for the whole of each operation.
  std::mutex& mutex() { return mutex_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Error lastError(std::string_view what) const;
  friend class SqliteStatement;
  sqlite3* db_;
  std::string path_;
  std::mutex mutex_;
};

class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  ~SqliteStatement();

  SqliteStatement& bind(int index, const SqlValue& value);
  SqliteStatement& bindAll(std::span<const SqlValue> values);
  // Binds text without copying it: `text` must stay alive and unchanged until the statement is
  // reset or destroyed. For hot loops (the event writer) where the copy is the cost.
  SqliteStatement& bindBorrowedText(int index, std::string_view text);
  SqliteStatement& bindInt(int index, std::int64_t value);
  // A blob, copied (the binding may outlive `bytes`).
  SqliteStatement& bindBlob(int index, std::string_view bytes);
  // Steps once: true when a row is available, false when done.
  Result<bool> step();
  Result<void> run();  // steps to completion, expects no rows
  void reset();

  std::int64_t columnInt(int i) const;
  std::optional<std::int64_t> columnOptionalInt(int i) const;
  std::string columnText(int i) const;
  std::optional<std::string> columnOptionalText(int i) const;
  // The column's bytes, valid until the next step(), reset() or column read of this statement.
  std::string_view columnBytes(int i) const;

 private:
  friend class SqliteDb;
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  Error bindError_{};
  bool bindFailed_ = false;
};

template <typename F>
auto SqliteDb::transaction(F&& body) -> decltype(body()) {
  return runInTransaction(*this, "BEGIN IMMEDIATE", std::forward<F>(body));
}

Result<int> applyMigrations(SqliteDb& db, std::span<const Migration> migrations);

}  // namespace tessera::store
