#include "store/postgres/postgres_db.hpp"

#include <libpq-fe.h>

#include <cstdlib>

namespace tessera::store {

namespace {
// Arbitrary constant naming "Tessera schema migrations" in pg_advisory_xact_lock.
constexpr std::int64_t kMigrationLock = 7'310'221'042;

std::string firstLine(const char* message) {
  std::string m = message ? message : "unknown error";
  if (auto nl = m.find('\n'); nl != std::string::npos) {
    m.resize(nl);
  }
  return m;
}
}  // namespace

PostgresResult::~PostgresResult() {
  PQclear(result_);
}
int PostgresResult::rows() const {
  return PQntuples(result_);
}
bool PostgresResult::isNull(int row, int col) const {
  return PQgetisnull(result_, row, col) != 0;
}
std::string PostgresResult::text(int row, int col) const {
  return std::string(PQgetvalue(result_, row, col),
                     static_cast<std::size_t>(PQgetlength(result_, row, col)));
}
std::int64_t PostgresResult::integer(int row, int col) const {
  return std::strtoll(PQgetvalue(result_, row, col), nullptr, 10);
}
std::optional<std::int64_t> PostgresResult::optionalInteger(int row, int col) const {
  if (isNull(row, col)) {
    return std::nullopt;
  }
  return integer(row, col);
}

Result<std::unique_ptr<PostgresDb>> PostgresDb::connect(const std::string& conninfo) {
  pg_conn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) {
    return fail(ErrorCode::kStoreFailure, "cannot allocate a PostgreSQL connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = firstLine(PQerrorMessage(conn));
    PQfinish(conn);
    return fail(ErrorCode::kStoreFailure, "cannot connect to PostgreSQL: " + message);
  }
  std::string where = std::string(PQhost(conn)) + ":" + PQport(conn) + "/" + PQdb(conn);
  std::unique_ptr<PostgresDb> db(new PostgresDb(conn, std::move(where)));
  if (auto r = db->exec("SET client_min_messages = warning"); !r) {
    return std::move(r).error();
  }
  return db;
}

PostgresDb::~PostgresDb() {
  PQfinish(conn_);
}

Result<PostgresResult> PostgresDb::query(std::string_view sql, std::span<const SqlValue> params) {
  std::vector<std::string> storage;
  storage.reserve(params.size());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    if (std::holds_alternative<std::nullptr_t>(p)) {
      values.push_back(nullptr);
      continue;
    }
    storage.push_back(std::holds_alternative<std::int64_t>(p)
                          ? std::to_string(std::get<std::int64_t>(p))
                          : std::get<std::string>(p));
    values.push_back(storage.back().c_str());
  }
  const std::string text(sql);
  // Without parameters the simple protocol runs multi-statement scripts (migrations).
  pg_result* raw = values.empty()
                       ? PQexec(conn_, text.c_str())
                       : PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                                      values.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    return PostgresResult(raw);
  }
  const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = firstLine(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_));
  const bool uniqueViolation = state != nullptr && std::string_view(state) == "23505";
  PQclear(raw);
  return fail(uniqueViolation ? ErrorCode::kAlreadyExists : ErrorCode::kStoreFailure,
              "PostgreSQL store " + where_ + ": " + message);
}

Result<void> PostgresDb::exec(std::string_view sql, std::span<const SqlValue> params) {
  auto r = query(sql, params);
  if (!r) {
    return std::move(r).error();
  }
  return {};
}

std::string valuesPlaceholders(std::size_t rows, std::size_t columns) {
  std::string out;
  std::size_t n = 0;
  for (std::size_t row = 0; row < rows; ++row) {
    out += row == 0 ? "(" : ", (";
    for (std::size_t col = 0; col < columns; ++col) {
      out += (col == 0 ? "$" : ", $") + std::to_string(++n);
    }
    out += ")";
  }
  return out;
}

Result<int> applyPostgresMigrations(PostgresDb& db, std::span<const Migration> migrations) {
  return db.transaction([&]() -> Result<int> {
    const SqlValue lock[] = {kMigrationLock};
    TESSERA_RETURN_IF_ERROR(db.exec("SELECT pg_advisory_xact_lock($1)", lock));
    TESSERA_RETURN_IF_ERROR(db.exec(kCreateMigrationsTable));
    auto q = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!q) {
      return std::move(q).error();
    }
    int current = static_cast<int>(q->integer(0, 0));
    TESSERA_RETURN_IF_ERROR(checkSchemaNotNewer(current, migrations, db.where()));
    for (const auto& m : migrations) {
      if (m.version <= current) {
        continue;
      }
      if (auto r = db.exec(m.postgresSql.empty() ? m.sql : m.postgresSql); !r) {
        return migrationFailed(m, r.error());
      }
      const SqlValue values[] = {std::int64_t{m.version}, std::string(m.description)};
      TESSERA_RETURN_IF_ERROR(db.exec(
          "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, "
          "EXTRACT(EPOCH FROM now())::BIGINT)",
          values));
      current = m.version;
    }
    return current;
  });
}

}  // namespace tessera::store
