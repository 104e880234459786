#include "store/postgres/postgres_access_event_repository.hpp"

#include <algorithm>
#include <map>
#include <span>

#include "store/access_event_rules.hpp"

namespace tessera::store {

namespace {

constexpr std::string_view kColumns =
    "id, time_us, outcome, reason_code, server_workload, policy, client_workload, source_ip, "
    "document";
constexpr std::size_t kColumnCount = 9;
// Rows per multi-row INSERT: 4,500 parameters, well below the protocol's 65,535.
constexpr std::size_t kBatchRows = 500;

AccessEventRecord recordFromRow(const PostgresResult& q, int i) {
  AccessEventRecord r;
  r.id = q.text(i, 0);
  r.time = fromAccessEventMicros(q.integer(i, 1));
  r.outcome = q.text(i, 2);
  r.reasonCode = q.text(i, 3);
  r.serverWorkload = q.text(i, 4);
  r.policy = q.text(i, 5);
  r.clientWorkload = q.text(i, 6);
  r.sourceIp = q.text(i, 7);
  r.document = q.text(i, 8);
  return r;
}

}  // namespace

Result<void> PostgresAccessEventRepository::append(const std::vector<AccessEventRecord>& events) {
  for (const auto& e : events) {
    TESSERA_RETURN_IF_ERROR(validateAccessEvent(e));
  }
  if (events.empty()) {
    return {};
  }
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<void> {
    for (std::size_t start = 0; start < events.size(); start += kBatchRows) {
      const auto chunk =
          std::span(events).subspan(start, std::min(kBatchRows, events.size() - start));
      std::vector<SqlValue> params;
      params.reserve(chunk.size() * kColumnCount);
      for (const auto& e : chunk) {
        params.insert(params.end(),
                      {e.id, toAccessEventMicros(e.time), e.outcome, e.reasonCode, e.serverWorkload,
                       e.policy, e.clientWorkload, e.sourceIp, e.document});
      }
      // A conflicting row is skipped rather than failing the statement, so that the error can
      // name the id; the transaction is then rolled back.
      auto q = db_->query("INSERT INTO access_events (" + std::string(kColumns) + ") VALUES " +
                              valuesPlaceholders(chunk.size(), kColumnCount) +
                              " ON CONFLICT (id) DO NOTHING RETURNING id",
                          params);
      if (!q) {
        return std::move(q).error();
      }
      if (static_cast<std::size_t>(q->rows()) == chunk.size()) {
        continue;
      }
      // The first event, in batch order, whose row this statement did not insert.
      std::map<std::string, int> inserted;
      for (int i = 0; i < q->rows(); ++i) {
        ++inserted[q->text(i, 0)];
      }
      for (const auto& e : chunk) {
        auto it = inserted.find(e.id);
        if (it == inserted.end() || it->second == 0) {
          return accessEventExists(e.id);
        }
        --it->second;
      }
      return fail(ErrorCode::kStoreFailure,
                  "PostgreSQL store " + db_->where() + ": access event insert skipped rows");
    }
    return {};
  });
}

Result<AccessEventPage> PostgresAccessEventRepository::query(const AccessEventQuery& query) {
  TESSERA_RETURN_IF_ERROR(checkAccessEventLimit(query.limit));
  TESSERA_DECLARE_OR_RETURN(const auto cursor, decodeAccessEventCursor(query.pageToken));
  std::string sql = "SELECT " + std::string(kColumns) + " FROM access_events WHERE TRUE";
  std::vector<SqlValue> params;
  auto next = [&] { return "$" + std::to_string(params.size()); };
  if (query.since) {
    params.emplace_back(toAccessEventMicros(*query.since));
    sql += " AND time_us >= " + next() + "::bigint";
  }
  if (query.until) {
    params.emplace_back(toAccessEventMicros(*query.until));
    sql += " AND time_us < " + next() + "::bigint";
  }
  const std::pair<const char*, const std::optional<std::string>*> exact[] = {
      {"outcome", &query.outcome},
      {"policy", &query.policy},
      {"client_workload", &query.clientWorkload},
      {"server_workload", &query.serverWorkload}};
  for (const auto& [column, value] : exact) {
    if (*value) {
      params.emplace_back(**value);
      sql += std::string(" AND ") + column + " = " + next();
    }
  }
  if (cursor) {
    // A row comparison, which the (time_us, id) indexes serve directly.
    params.emplace_back(cursor->timeMicros);
    sql += " AND (time_us, id) < (" + next() + "::bigint, ";
    params.emplace_back(cursor->id);
    sql += next() + "::text)";
  }
  // One row more than asked says whether another page follows.
  params.emplace_back(std::int64_t{query.limit} + 1);
  sql += " ORDER BY time_us DESC, id DESC LIMIT " + next();

  std::lock_guard lock(db_->mutex());
  auto q = db_->query(sql, params);
  if (!q) {
    return std::move(q).error();
  }
  AccessEventPage page;
  const int rows = std::min(q->rows(), query.limit);
  page.records.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    page.records.push_back(recordFromRow(*q, i));
  }
  if (q->rows() > query.limit) {
    const auto& last = page.records.back();
    page.nextPageToken = encodeAccessEventCursor({toAccessEventMicros(last.time), last.id});
  }
  return page;
}

Result<AccessEventRecord> PostgresAccessEventRepository::get(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  const SqlValue params[] = {id};
  auto q =
      db_->query("SELECT " + std::string(kColumns) + " FROM access_events WHERE id = $1", params);
  if (!q) {
    return std::move(q).error();
  }
  if (q->rows() == 0) {
    return accessEventMissing(id);
  }
  return recordFromRow(*q, 0);
}

}  // namespace tessera::store
