// Where the hub keeps access events: the audit record of each access decision, append-only. The
// store indexes a few columns for filtering and keeps the whole event as JSON text it does not
// interpret. Implemented per store backend; written by hub/access_event_writer, read by the
// events route of the admin API.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace tessera::store {

struct AccessEventRecord {
  std::string id;              // the decision's context id; unique
  SystemTime time;             // when the decision was made; stored with microsecond precision
  std::string outcome;         // authorized, unauthorized or error
  std::string reasonCode;      // the error code wire name of the deciding step ("" when authorized)
  std::string serverWorkload;  // names of the objects involved ("" when the step did not get there)
  std::string policy;
  std::string clientWorkload;
  std::string sourceIp;
  std::string document;  // the whole event as compact JSON text, opaque to the store
};

// Filters are ANDed; absent means any. Results are newest first: ordered by (time, id)
// descending, id compared bytewise. The page token is a cursor on that order (the last record
// returned), so paging is stable while events are appended: a later page never repeats a record
// and never skips one that existed when the first page was read.
struct AccessEventQuery {
  std::optional<SystemTime> since{};  // time >= since
  std::optional<SystemTime> until{};  // time < until
  std::optional<std::string> outcome{};
  std::optional<std::string> policy{};
  std::optional<std::string> clientWorkload{};
  std::optional<std::string> serverWorkload{};
  int limit = 100;        // 1..1000; anything else is kInvalidArgument
  std::string pageToken;  // "" for the first page, else a previous page's nextPageToken
};

struct AccessEventPage {
  std::vector<AccessEventRecord> records{};
  std::string nextPageToken;  // "" when this is the last page
};

inline constexpr int kMaxAccessEventPage = 1000;

class AccessEventRepository {
 public:
  virtual ~AccessEventRepository() = default;

  // Stores the events in one transaction. kAlreadyExists (naming the id) when an id is already
  // stored or repeated in the batch; kInvalidArgument when a record breaks
  // validateAccessEvent(). Nothing is written on any failure.
  virtual Result<void> append(const std::vector<AccessEventRecord>& events) = 0;

  // One page of events. kInvalidArgument for a limit outside 1..1000 or a page token this store
  // did not issue.
  virtual Result<AccessEventPage> query(const AccessEventQuery& query) = 0;

  // kNotFound for an unknown id.
  virtual Result<AccessEventRecord> get(const std::string& id) = 0;
};

// The rules every backend checks before writing (and the writer checks before queueing): a
// non-empty id of at most 200 bytes, an outcome of authorized, unauthorized or error, and a
// non-empty document.
Result<void> validateAccessEvent(const AccessEventRecord& event);

}  // namespace tessera::store
