// Writing access events off the decision path: the access API calls record() from its io threads
// for every decision; one background thread stores the events in batches and copies each one, as
// a JSON line, to an optional stream (a file or stdout) for log shippers and SIEMs. Created and
// stopped by the hub.
//
// Guarantees: events are stored in the order they were recorded; an event accepted by record()
// is never dropped because the store failed (the batch is retried, with backoff, until it is
// stored); stop() stores everything accepted before returning. The memory is bounded: when
// maxQueued events are waiting, record() waits up to maxWait for room and then fails, so that the
// caller can fail closed rather than decide without an audit trail.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "store/access_event_repository.hpp"

namespace tessera::hub {

struct AccessEventWriterOptions {
  // Events waiting to be stored (queued or in the batch being written) at most.
  std::size_t maxQueued = 10'000;
  // How long record() waits for room when maxQueued are waiting.
  std::chrono::milliseconds maxWait = std::chrono::seconds(1);
  // Events per store transaction at most.
  std::size_t maxBatch = 500;
  // How long a batch may fill before it is stored (unless it is full, a flush() waits, or the
  // writer stops): a transaction's commit costs about as much as many inserts, so under load
  // bigger batches make each event cheaper. Events reach the stream and store this much later.
  std::chrono::milliseconds maxBatchDelay = std::chrono::milliseconds(20);
  // The JSON lines stream: a file path (opened in append mode, created 0600) or "-" for
  // stdout. None: events go only to the store.
  std::optional<std::string> sink;
  // Retry delays after a failed store append: doubling from the first to the cap.
  std::chrono::milliseconds firstRetryDelay = std::chrono::milliseconds(100);
  std::chrono::milliseconds maxRetryDelay = std::chrono::seconds(5);
};

struct AccessEventWriterStats {
  std::uint64_t recorded = 0;      // accepted by record()
  std::uint64_t stored = 0;        // in the store
  std::uint64_t failures = 0;      // failed store appends (each retried)
  std::uint64_t abandoned = 0;     // given up by a stop() whose deadline passed
  std::uint64_t sinkFailures = 0;  // batches the stream could not take in full
  std::uint64_t queued = 0;        // recorded, not yet stored or abandoned
};

class AccessEventWriter {
 public:
  // Opens the sink (kIo naming the path when it cannot) and starts the background thread.
  static Result<std::unique_ptr<AccessEventWriter>> start(
      std::shared_ptr<store::AccessEventRepository> repository,
      AccessEventWriterOptions options = {});

  // stop() without a deadline.
  ~AccessEventWriter();
  AccessEventWriter(const AccessEventWriter&) = delete;
  AccessEventWriter& operator=(const AccessEventWriter&) = delete;

  // Queues one event. kInvalidArgument when it breaks store::validateAccessEvent(); kUnavailable
  // when the backlog stays full for maxWait, or after stop().
  Result<void> record(store::AccessEventRecord event);

  // Waits until every event recorded before the call is stored (or abandoned by stop()).
  // kTimeout when `timeout` passes first; without one it waits as long as the store is down.
  Result<void> flush(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Refuses further events, stores everything queued and joins the thread. Should the store
  // stay down past `giveUpAfter`, the events still queued are abandoned (their ids logged; they
  // are already in the stream) and kUnavailable is returned. Idempotent.
  Result<void> stop(std::optional<std::chrono::milliseconds> giveUpAfter = std::nullopt);

  AccessEventWriterStats stats() const;

 private:
  AccessEventWriter(std::shared_ptr<store::AccessEventRepository> repository,
                    AccessEventWriterOptions options, std::FILE* sink, bool ownsSink);
  void run();
  // Appends the batch, retrying with backoff until it is stored or stop() gives up. Returns
  // false when given up; the batch then holds the events not stored.
  bool storeBatch(std::vector<store::AccessEventRecord>& batch);
  // Splits a batch refused for a duplicate id: an event already stored (a retry after a commit
  // whose outcome was lost) counts as stored. Removes the events it settled from the front of
  // the batch (and counts them); returns false when a store failure stopped it.
  bool storeOneByOne(std::vector<store::AccessEventRecord>& batch);
  void writeSink(const std::vector<store::AccessEventRecord>& batch);
  std::size_t waitingLocked() const { return queue_.size() + inFlight_; }

  const std::shared_ptr<store::AccessEventRepository> repository_;
  const AccessEventWriterOptions options_;
  std::FILE* const sink_;
  const bool ownsSink_;

  mutable std::mutex mutex_;
  std::condition_variable workAvailable_;  // queue not empty, or stopping
  std::condition_variable roomAvailable_;  // below maxQueued, or stopping
  std::condition_variable progress_;       // stored_ + abandoned_ moved
  std::condition_variable giveUp_;         // abandon_ set: cuts a retry delay short
  std::deque<store::AccessEventRecord> queue_;
  std::size_t flushWaiters_ = 0;  // flush() calls waiting: no batch delay meanwhile
  std::size_t inFlight_ = 0;      // events of the batch being written
  bool stopping_ = false;
  bool abandon_ = false;
  std::uint64_t recorded_ = 0;
  std::uint64_t stored_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t abandoned_ = 0;
  std::uint64_t sinkFailures_ = 0;

  bool sinkFailing_ = false;  // the last stream write failed; worker thread only

  std::mutex stopMutex_;  // one stop() at a time; the destructor's may follow the hub's
  std::thread thread_;
};

}  // namespace tessera::hub
