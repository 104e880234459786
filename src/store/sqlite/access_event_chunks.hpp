// How the SQLite store filters access events without an index entry per event and filter
// column: each append groups its events, per filter column (outcome, policy, client_workload,
// server_workload), by value into chunks: the column and value, the newest member's (time, id),
// the oldest member's time, and a bitmap of the members' rows. A filtered query walks one value's
// chunks newest first and merges their members back into (time, id) order. Four index entries per
// event cost as much as storing the event; a busy hub's batches share a few values, so they need a
// few chunks each. Pure: used by the SQLite access event repository and its tests.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/access_event_repository.hpp"

namespace tessera::store {

// A chunk's members lie within this much event time of its newest one, so a query below a
// cursor can start at the chunks whose newest member is at most this much above it.
inline constexpr std::int64_t kAccessEventChunkSpanMicros = 1'000'000;
// A chunk's members lie within this many rows of its first one: the bitmap stays small.
inline constexpr std::int64_t kAccessEventChunkRows = 4096;

// A filter column: its name in the store, the record member it holds and the query member that
// filters on it.
struct AccessEventFilterColumn {
  std::string_view name;
  std::string AccessEventRecord::*value;
  std::optional<std::string> AccessEventQuery::*filter;
};

// The filter columns, in the order a query prefers them to drive its walk (names of objects
// before the outcome, which few values share).
inline constexpr AccessEventFilterColumn kAccessEventFilterColumns[] = {
    {"policy", &AccessEventRecord::policy, &AccessEventQuery::policy},
    {"client_workload", &AccessEventRecord::clientWorkload, &AccessEventQuery::clientWorkload},
    {"server_workload", &AccessEventRecord::serverWorkload, &AccessEventQuery::serverWorkload},
    {"outcome", &AccessEventRecord::outcome, &AccessEventQuery::outcome}};

struct AccessEventChunk {
  std::string_view column;  // the name of one of kAccessEventFilterColumns
  std::string_view value;   // borrowed from the events
  std::int64_t newestMicros = 0;
  std::string_view newestId;
  std::int64_t oldestMicros = 0;
  std::int64_t firstRow = 0;
  std::string members;  // bit i (byte i / 8, least significant bit first): row firstRow + i
};

// The chunks of one append: events[i] was stored as row rows[i] (rows.size() == events.size()).
std::vector<AccessEventChunk> buildAccessEventChunks(std::span<const AccessEventRecord> events,
                                                     std::span<const std::int64_t> rows);

// The rows a chunk names, ascending.
std::vector<std::int64_t> accessEventChunkRows(std::int64_t firstRow, std::string_view members);

}  // namespace tessera::store
