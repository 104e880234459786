// A thin RAII layer over libpq: one connection, parameterised statements (text format),
// transactions and the migration runner. The PostgreSQL repositories are built on it; nothing
// else calls libpq.
#pragma once

#include <cstdint>
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

struct pg_conn;
struct pg_result;

namespace tessera::store {

class PostgresResult {
 public:
  explicit PostgresResult(pg_result* r) : result_(r) {}
  PostgresResult(PostgresResult&& other) noexcept : result_(other.result_) {
    other.result_ = nullptr;
  }
  PostgresResult& operator=(PostgresResult&&) = delete;
  ~PostgresResult();

  int rows() const;
  bool isNull(int row, int col) const;
  std::string text(int row, int col) const;
  std::int64_t integer(int row, int col) const;
  std::optional<std::int64_t> optionalInteger(int row, int col) const;

 private:
  pg_result* result_;
};

class PostgresDb {
 public:
  // `conninfo`: a libpq connection string or postgresql:// URL. The password never appears in
  // errors (libpq's messages do not echo it; ours name only host and database).
  static Result<std::unique_ptr<PostgresDb>> connect(const std::string& conninfo);
  ~PostgresDb();
  PostgresDb(const PostgresDb&) = delete;
  PostgresDb& operator=(const PostgresDb&) = delete;

  Result<PostgresResult> query(std::string_view sql, std::span<const SqlValue> params = {});
  Result<void> exec(std::string_view sql, std::span<const SqlValue> params = {});

  // BEGIN ... COMMIT around body; ROLLBACK when body fails.
  template <typename F>
  auto transaction(F&& body) -> decltype(body());

  const std::string& where() const { return where_; }

  // One statement or transaction at a time on this connection: every repository sharing it
  // holds this for the whole of each operation.
  std::mutex& mutex() { return mutex_; }

 private:
  PostgresDb(pg_conn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  pg_conn* conn_;
  std::string where_;  // "host:port/db" for messages
  std::mutex mutex_;
};

template <typename F>
auto PostgresDb::transaction(F&& body) -> decltype(body()) {
  return runInTransaction(*this, "BEGIN", std::forward<F>(body));
}

// "($1, $2, $3), ($4, $5, $6)" for `rows` rows of `columns` parameters: the VALUES list of a
// multi-row statement.
std::string valuesPlaceholders(std::size_t rows, std::size_t columns);

// Applies pending migrations, each once, in its own transaction, serialised across hub replicas
// by an advisory lock.
Result<int> applyPostgresMigrations(PostgresDb& db, std::span<const Migration> migrations);

}  // namespace tessera::store
