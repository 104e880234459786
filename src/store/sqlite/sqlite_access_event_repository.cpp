#include "store/sqlite/sqlite_access_event_repository.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>

#include "store/access_event_rules.hpp"
#include "store/sqlite/access_event_chunks.hpp"

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

Result<void> insertChunks(SqliteDb& db, const std::vector<AccessEventRecord>& events,
                          const std::vector<std::int64_t>& rows) {
  auto q = db.prepare(
      "INSERT INTO access_event_chunks (name, value, max_time_us, max_id, min_time_us, first_seq, "
      "members) VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!q) {
    return std::move(q).error();
  }
  for (const auto& chunk : buildAccessEventChunks(events, rows)) {
    q->reset();
    q->bindBorrowedText(1, chunk.column)
        .bindBorrowedText(2, chunk.value)
        .bindInt(3, chunk.newestMicros)
        .bindBorrowedText(4, chunk.newestId)
        .bindInt(5, chunk.oldestMicros)
        .bindInt(6, chunk.firstRow)
        .bindBlob(7, chunk.members);
    TESSERA_RETURN_IF_ERROR(q->run());
  }
  return {};
}

// Lists filtered events through the chunks of one filter's value (see access_event_chunks.hpp).
// Chunks come newest member first; every member of a chunk is at most as new as its newest, so
// a member of the chunks walked so far is listed as soon as it is newer than the next chunk's
// newest member: no chunk still to come can hold anything between.
class FilteredWalk {
 public:
  FilteredWalk(SqliteDb& db, const AccessEventQuery& query,
               const std::optional<AccessEventCursor>& cursor)
      : db_(db), query_(query), cursor_(cursor) {
    if (query.since) {
      since_ = toAccessEventMicros(*query.since);
    }
    if (query.until) {
      until_ = toAccessEventMicros(*query.until);
    }
  }

  Result<AccessEventPage> run() {
    // The first filter set drives the walk; the others narrow each of its chunks to the rows
    // their own chunks also name.
    std::vector<std::pair<std::string_view, const std::string*>> filters;
    for (const auto& candidate : kAccessEventFilterColumns) {
      if (const auto& filter = query_.*candidate.filter; filter) {
        filters.emplace_back(candidate.name, &*filter);
      }
    }
    if (filters.empty()) {
      return fail(ErrorCode::kInternal, "a filtered walk of access events needs a filter");
    }
    const auto [column, value] = filters.front();
    others_.assign(filters.begin() + 1, filters.end());
    // The newest time a listed event can have. A chunk whose oldest member is newer holds none
    // to list, and nor does one newer than that by more than a chunk's span.
    std::optional<std::int64_t> newest;
    if (cursor_) {
      newest = cursor_->timeMicros;
    }
    if (until_) {
      newest = std::min(newest.value_or(*until_), *until_ - 1);
    }
    std::string sql =
        "SELECT max_time_us, max_id, min_time_us, first_seq, members FROM access_event_chunks "
        "WHERE name = ? AND value = ?";
    if (newest) {
      sql += " AND max_time_us <= ? AND min_time_us <= ?";
    }
    if (since_) {
      sql += " AND max_time_us >= ?";
    }
    sql += " ORDER BY max_time_us DESC, max_id DESC";
    auto chunks = db_.prepare(sql);
    if (!chunks) {
      return std::move(chunks).error();
    }
    auto rows =
        db_.prepare("SELECT " + std::string(kColumns) + " FROM access_events WHERE seq = ?");
    if (!rows) {
      return std::move(rows).error();
    }
    rows_ = &*rows;
    std::optional<SqliteStatement> overlapping;
    if (!others_.empty()) {
      auto prepared = db_.prepare(
          "SELECT first_seq, members FROM access_event_chunks "
          "WHERE name = ? AND value = ? AND first_seq > ? AND first_seq <= ?");
      if (!prepared) {
        return std::move(prepared).error();
      }
      overlapping.emplace(std::move(*prepared));
      overlapping_ = &*overlapping;
    }
    chunks->bindBorrowedText(1, column).bindBorrowedText(2, *value);
    int next = 3;
    if (newest) {
      constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
      chunks->bindInt(next++, *newest > kMax - kAccessEventChunkSpanMicros
                                  ? kMax
                                  : *newest + kAccessEventChunkSpanMicros);
      chunks->bindInt(next++, *newest);
    }
    if (since_) {
      chunks->bindInt(next++, *since_);
    }
    for (;;) {
      auto row = chunks->step();
      if (!row) {
        return std::move(row).error();
      }
      if (!*row) {
        break;
      }
      const Key bound{chunks->columnInt(0), std::string(chunks->columnBytes(1))};
      TESSERA_DECLARE_OR_RETURN(const bool complete, listWaiting(&bound));
      if (complete) {
        return std::move(page_);
      }
      // Newest rows first: they are mostly the newest events, so once the page is full the
      // rest are mostly let go before their documents are read.
      auto members = accessEventChunkRows(chunks->columnInt(3), chunks->columnBytes(4));
      for (const auto& [otherName, otherValue] : others_) {
        if (members.empty()) {
          break;
        }
        TESSERA_RETURN_IF_ERROR(keepRowsAlsoIn(otherName, *otherValue, members));
      }
      for (auto seq = members.rbegin(); seq != members.rend(); ++seq) {
        TESSERA_RETURN_IF_ERROR(consider(*seq));
      }
    }
    if (auto rest = listWaiting(nullptr); !rest) {
      return std::move(rest).error();
    }
    return std::move(page_);
  }

 private:
  using Key = std::pair<std::int64_t, std::string>;  // (time, id): the listing order

  // Keeps of `rows` (ascending, not empty) those that a chunk of (name, value) also names. A
  // chunk naming a row starts at most kAccessEventChunkRows - 1 rows before it.
  Result<void> keepRowsAlsoIn(std::string_view name, const std::string& value,
                              std::vector<std::int64_t>& rows) {
    overlapping_->reset();
    overlapping_->bindBorrowedText(1, name)
        .bindBorrowedText(2, value)
        .bindInt(3, rows.front() - kAccessEventChunkRows)
        .bindInt(4, rows.back());
    std::vector<std::int64_t> named;
    for (;;) {
      auto row = overlapping_->step();
      if (!row) {
        return std::move(row).error();
      }
      if (!*row) {
        break;
      }
      const auto more =
          accessEventChunkRows(overlapping_->columnInt(0), overlapping_->columnBytes(1));
      named.insert(named.end(), more.begin(), more.end());
    }
    std::sort(named.begin(), named.end());
    std::vector<std::int64_t> both;
    std::set_intersection(rows.begin(), rows.end(), named.begin(), named.end(),
                          std::back_inserter(both));
    rows = std::move(both);
    return {};
  }

  // Reads a member's row and keeps it when it passes the query. Only the page and the row that
  // says another page follows can ever be listed, so the oldest beyond those are let go.
  Result<void> consider(std::int64_t seq) {
    rows_->reset();
    rows_->bindInt(1, seq);
    auto row = rows_->step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return fail(ErrorCode::kInternal, "an access event chunk names row " + std::to_string(seq) +
                                            ", which the store does not hold");
    }
    const std::string_view id = rows_->columnBytes(0);
    const std::int64_t micros = rows_->columnInt(1);
    if ((since_ && micros < *since_) || (until_ && micros >= *until_)) {
      return {};
    }
    if (cursor_ &&
        !(micros < cursor_->timeMicros || (micros == cursor_->timeMicros && id < cursor_->id))) {
      return {};
    }
    const std::pair<int, const std::optional<std::string>*> filters[] = {
        {2, &query_.outcome},
        {4, &query_.serverWorkload},
        {5, &query_.policy},
        {6, &query_.clientWorkload}};
    for (const auto& [column, filter] : filters) {
      if (*filter && rows_->columnBytes(column) != **filter) {
        return {};
      }
    }
    const std::size_t room = static_cast<std::size_t>(query_.limit) + 1 - page_.records.size();
    if (waiting_.size() == room && Key(micros, id) < waiting_.begin()->first) {
      return {};
    }
    waiting_.emplace(Key(micros, std::string(id)), recordFromRow(*rows_));
    if (waiting_.size() > room) {
      waiting_.erase(waiting_.begin());
    }
    return {};
  }

  // Lists the waiting events newer than `bound`, or all of them without one, newest first.
  // True when the page is complete (its token set when more follow).
  Result<bool> listWaiting(const Key* bound) {
    while (!waiting_.empty()) {
      auto newest = std::prev(waiting_.end());
      if (bound && newest->first <= *bound) {
        return false;
      }
      if (page_.records.size() == static_cast<std::size_t>(query_.limit)) {
        const auto& last = page_.records.back();
        page_.nextPageToken = encodeAccessEventCursor({toAccessEventMicros(last.time), last.id});
        return true;
      }
      page_.records.push_back(std::move(newest->second));
      waiting_.erase(newest);
    }
    return false;
  }

  SqliteDb& db_;
  const AccessEventQuery& query_;
  const std::optional<AccessEventCursor>& cursor_;
  std::optional<std::int64_t> since_;
  std::optional<std::int64_t> until_;
  SqliteStatement* rows_ = nullptr;
  SqliteStatement* overlapping_ = nullptr;
  std::vector<std::pair<std::string_view, const std::string*>> others_;
  std::map<Key, AccessEventRecord> waiting_;
  AccessEventPage page_;
};

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
    std::vector<std::int64_t> rows;
    rows.reserve(events.size());
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
      rows.push_back(db_->lastInsertRowid());
    }
    return insertChunks(*db_, events, rows);
  });
}

Result<AccessEventPage> SqliteAccessEventRepository::query(const AccessEventQuery& query) {
  TESSERA_RETURN_IF_ERROR(checkAccessEventLimit(query.limit));
  TESSERA_DECLARE_OR_RETURN(const auto cursor, decodeAccessEventCursor(query.pageToken));
  if (query.outcome || query.policy || query.clientWorkload || query.serverWorkload) {
    std::lock_guard lock(db_->mutex());
    // One read transaction for the walk's many statements: one snapshot, and the WAL read lock
    // taken once instead of once per row.
    return runInTransaction(*db_, "BEGIN", [&] { return FilteredWalk(*db_, query, cursor).run(); });
  }
  // No filter: the time index lists them.
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
