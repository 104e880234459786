#include "store/sqlite/sqlite_access_event_repository.hpp"

#include "store/access_event_rules.hpp"

namespace tessera::store {

namespace {

constexpr std::string_view kColumns =
    "id, time_us, outcome, reason_code, server_workload, policy, client_workload, source_ip, "
    "document";

AccessEventRecord recordFromRow(const SqliteStatement& q) {
  AccessEventRecord r;
  r.id = q.columnText(0);
  r.time = fromAccessEventMicros(q.columnInt(1));
  r.outcome = q.columnText(2);
  r.reasonCode = q.columnText(3);
  r.serverWorkload = q.columnText(4);
  r.policy = q.columnText(5);
  r.clientWorkload = q.columnText(6);
  r.sourceIp = q.columnText(7);
  r.document = q.columnText(8);
  return r;
}

}  // namespace

Result<void> SqliteAccessEventRepository::append(const std::vector<AccessEventRecord>& events) {
  for (const auto& e : events) {
    TESSERA_RETURN_IF_ERROR(validateAccessEvent(e));
  }
  if (events.empty()) {
    return {};
  }
  std::lock_guard lock(db_->mutex());
  return db_->transaction([&]() -> Result<void> {
    auto q = db_->prepare("INSERT INTO access_events (" + std::string(kColumns) +
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING");
    if (!q) {
      return std::move(q).error();
    }
    for (const auto& e : events) {
      q->reset();
      // Borrowed: each event outlives its step, and the next reset unbinds it.
      q->bindBorrowedText(1, e.id)
          .bindInt(2, toAccessEventMicros(e.time))
          .bindBorrowedText(3, e.outcome)
          .bindBorrowedText(4, e.reasonCode)
          .bindBorrowedText(5, e.serverWorkload)
          .bindBorrowedText(6, e.policy)
          .bindBorrowedText(7, e.clientWorkload)
          .bindBorrowedText(8, e.sourceIp)
          .bindBorrowedText(9, e.document);
      TESSERA_RETURN_IF_ERROR(q->run());
      if (db_->changes() == 0) {
        return accessEventExists(e.id);  // rolls the whole batch back
      }
    }
    return {};
  });
}

Result<AccessEventPage> SqliteAccessEventRepository::query(const AccessEventQuery& query) {
  TESSERA_RETURN_IF_ERROR(checkAccessEventLimit(query.limit));
  TESSERA_DECLARE_OR_RETURN(const auto cursor, decodeAccessEventCursor(query.pageToken));
  std::string sql = "SELECT " + std::string(kColumns) + " FROM access_events WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (query.since) {
    sql += " AND time_us >= ?";
    params.emplace_back(toAccessEventMicros(*query.since));
  }
  if (query.until) {
    sql += " AND time_us < ?";
    params.emplace_back(toAccessEventMicros(*query.until));
  }
  const std::pair<const char*, const std::optional<std::string>*> exact[] = {
      {"outcome", &query.outcome},
      {"policy", &query.policy},
      {"client_workload", &query.clientWorkload},
      {"server_workload", &query.serverWorkload}};
  for (const auto& [column, value] : exact) {
    if (*value) {
      sql += std::string(" AND ") + column + " = ?";
      params.emplace_back(**value);
    }
  }
  if (cursor) {
    sql += " AND (time_us < ? OR (time_us = ? AND id < ?))";
    params.insert(params.end(), {cursor->timeMicros, cursor->timeMicros, cursor->id});
  }
  // One row more than asked says whether another page follows.
  sql += " ORDER BY time_us DESC, id DESC LIMIT ?";
  params.emplace_back(std::int64_t{query.limit} + 1);

  std::lock_guard lock(db_->mutex());
  auto q = db_->prepare(sql);
  if (!q) {
    return std::move(q).error();
  }
  q->bindAll(params);
  AccessEventPage page;
  for (;;) {
    auto row = q->step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return page;
    }
    if (page.records.size() == static_cast<std::size_t>(query.limit)) {
      const auto& last = page.records.back();
      page.nextPageToken = encodeAccessEventCursor({toAccessEventMicros(last.time), last.id});
      return page;
    }
    page.records.push_back(recordFromRow(*q));
  }
}

Result<AccessEventRecord> SqliteAccessEventRepository::get(const std::string& id) {
  std::lock_guard lock(db_->mutex());
  auto q = db_->prepare("SELECT " + std::string(kColumns) + " FROM access_events WHERE id = ?");
  if (!q) {
    return std::move(q).error();
  }
  auto row = q->bind(1, id).step();
  if (!row) {
    return std::move(row).error();
  }
  if (!*row) {
    return accessEventMissing(id);
  }
  return recordFromRow(*q);
}

}  // namespace tessera::store
