#include "hub/access_event_writer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.hpp"

namespace tessera::hub {

namespace {

// "a, b, c": how logs name the events of a batch (ids only, never their contents).
std::string joinIds(const std::vector<store::AccessEventRecord>& batch) {
  std::string out;
  for (const auto& e : batch) {
    out += out.empty() ? e.id : ", " + e.id;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<AccessEventWriter>> AccessEventWriter::start(
    std::shared_ptr<store::AccessEventRepository> repository, AccessEventWriterOptions options) {
  if (!repository || options.maxQueued == 0 || options.maxBatch == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "access event writer needs a repository, maxQueued > 0 and maxBatch > 0");
  }
  std::FILE* sink = nullptr;
  bool ownsSink = false;
  if (options.sink && *options.sink == "-") {
    sink = stdout;
  } else if (options.sink) {
    // Events name workloads, policies and addresses: owner-only, like the store.
    const int fd = ::open(options.sink->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || (sink = ::fdopen(fd, "a")) == nullptr) {
      const int err = errno;
      if (fd >= 0) {
        ::close(fd);
      }
      return fail(ErrorCode::kIo, "cannot open the access event stream " + *options.sink + ": " +
                                      std::strerror(err));
    }
    ownsSink = true;
  }
  std::unique_ptr<AccessEventWriter> writer(
      new AccessEventWriter(std::move(repository), std::move(options), sink, ownsSink));
  writer->thread_ = std::thread([w = writer.get()] { w->run(); });
  return writer;
}

AccessEventWriter::AccessEventWriter(std::shared_ptr<store::AccessEventRepository> repository,
                                     AccessEventWriterOptions options, std::FILE* sink,
                                     bool ownsSink)
    : repository_(std::move(repository)),
      options_(std::move(options)),
      sink_(sink),
      ownsSink_(ownsSink) {}

AccessEventWriter::~AccessEventWriter() {
  (void)stop();
}

Result<void> AccessEventWriter::record(store::AccessEventRecord event) {
  TESSERA_RETURN_IF_ERROR(store::validateAccessEvent(event));
  std::unique_lock lock(mutex_);
  const auto hasRoom = [&] { return stopping_ || waitingLocked() < options_.maxQueued; };
  if (!hasRoom() && !roomAvailable_.wait_for(lock, options_.maxWait, hasRoom)) {
    return fail(ErrorCode::kUnavailable, "access event backlog full");
  }
  if (stopping_) {
    return fail(ErrorCode::kUnavailable, "access event writer is stopped");
  }
  queue_.push_back(std::move(event));
  ++recorded_;
  // The writer waits for the first event, or for a full batch while one fills: waking it for
  // every event would cost a context switch per decision.
  const bool wake = queue_.size() == 1 || queue_.size() == options_.maxBatch;
  lock.unlock();
  if (wake) {
    workAvailable_.notify_one();
  }
  return {};
}

Result<void> AccessEventWriter::flush(std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = recorded_;
  const auto done = [&] { return stored_ + abandoned_ >= target; };
  ++flushWaiters_;
  workAvailable_.notify_all();  // cuts a batch delay short
  bool flushed = true;
  if (!timeout) {
    progress_.wait(lock, done);
  } else {
    flushed = progress_.wait_for(lock, *timeout, done);
  }
  --flushWaiters_;
  if (!flushed) {
    return fail(ErrorCode::kTimeout, std::to_string(target - stored_ - abandoned_) +
                                         " access events are not stored yet");
  }
  return {};
}

Result<void> AccessEventWriter::stop(std::optional<std::chrono::milliseconds> giveUpAfter) {
  std::lock_guard stopLock(stopMutex_);
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    workAvailable_.notify_all();
    roomAvailable_.notify_all();  // waiting record() calls fail now
    if (giveUpAfter) {
      std::unique_lock lock(mutex_);
      const bool drained =
          progress_.wait_for(lock, *giveUpAfter, [&] { return queue_.empty() && inFlight_ == 0; });
      if (!drained) {
        abandon_ = true;
        lock.unlock();
        giveUp_.notify_all();
      }
    }
    thread_.join();
    if (ownsSink_) {
      std::fclose(sink_);
    } else if (sink_ != nullptr) {
      std::fflush(sink_);
    }
  }
  std::lock_guard lock(mutex_);
  if (abandoned_ > 0) {
    return fail(ErrorCode::kUnavailable,
                std::to_string(abandoned_) +
                    " access events could not be stored (their ids are in the log)");
  }
  return {};
}

AccessEventWriterStats AccessEventWriter::stats() const {
  std::lock_guard lock(mutex_);
  AccessEventWriterStats s;
  s.recorded = recorded_;
  s.stored = stored_;
  s.failures = failures_;
  s.abandoned = abandoned_;
  s.sinkFailures = sinkFailures_;
  s.queued = recorded_ - stored_ - abandoned_;
  return s;
}

void AccessEventWriter::run() {
  // A stream on stdout piped to a shipper that exits would raise SIGPIPE and end the hub. Blocked
  // in this thread only (the one that writes), the write fails with EPIPE instead.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  for (;;) {
    std::vector<store::AccessEventRecord> batch;
    {
      std::unique_lock lock(mutex_);
      workAvailable_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) {
        return;  // stopping, and everything is written
      }
      if (options_.maxBatchDelay.count() > 0 && queue_.size() < options_.maxBatch && !stopping_ &&
          flushWaiters_ == 0) {
        workAvailable_.wait_for(lock, options_.maxBatchDelay, [&] {
          return queue_.size() >= options_.maxBatch || stopping_ || flushWaiters_ > 0;
        });
      }
      // Whatever queued while the previous batch was written: batches grow with the load.
      const std::size_t n = std::min(options_.maxBatch, queue_.size());
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      inFlight_ = n;  // still counted against maxQueued until stored
    }
    // The stream first: it carries the events even while the store is down.
    writeSink(batch);
    const bool stored = storeBatch(batch);
    if (!stored) {
      spdlog::error("access events: giving up on {} events at shutdown, the store is failing: {}",
                    batch.size(), joinIds(batch));
    }
    {
      std::lock_guard lock(mutex_);
      (stored ? stored_ : abandoned_) += batch.size();
      inFlight_ = 0;
    }
    roomAvailable_.notify_all();
    progress_.notify_all();
  }
}

bool AccessEventWriter::storeBatch(std::vector<store::AccessEventRecord>& batch) {
  auto delay = options_.firstRetryDelay;
  for (int attempt = 1;; ++attempt) {
    auto appended = repository_->append(batch);
    if (appended) {
      if (attempt > 1) {
        spdlog::info("access events: stored {} events ({} .. {}) after {} attempts", batch.size(),
                     batch.front().id, batch.back().id, attempt);
      }
      return true;
    }
    // A duplicate id most likely means an earlier attempt committed though its outcome was
    // lost (the connection dropped at COMMIT): store the rest one by one.
    if (appended.error().code == ErrorCode::kAlreadyExists && storeOneByOne(batch)) {
      return true;
    }
    if (batch.empty()) {
      return true;
    }
    std::unique_lock lock(mutex_);
    ++failures_;
    if (abandon_) {
      return false;
    }
    spdlog::warn(
        "access events: storing {} events ({} .. {}) failed (attempt {}), retrying in {} ms: {}",
        batch.size(), batch.front().id, batch.back().id, attempt, delay.count(),
        appended.error().describe());
    if (giveUp_.wait_for(lock, delay, [&] { return abandon_; })) {
      // Shutdown ran out of time: this batch is abandoned; each later one gets one attempt.
      return false;
    }
    delay = std::min(delay * 2, options_.maxRetryDelay);
  }
}

bool AccessEventWriter::storeOneByOne(std::vector<store::AccessEventRecord>& batch) {
  std::size_t done = 0;
  std::uint64_t stored = 0;
  std::uint64_t refused = 0;
  bool ok = true;
  for (; done < batch.size(); ++done) {
    const auto& e = batch[done];
    auto appended = repository_->append({e});
    if (appended) {
      ++stored;
    } else if (appended.error().code == ErrorCode::kAlreadyExists) {
      spdlog::warn("access events: event {} was already stored; keeping the stored one", e.id);
      ++stored;
    } else if (appended.error().code == ErrorCode::kInvalidArgument) {
      // Never succeeds on retry, and would hold every later event back.
      spdlog::error("access events: the store refuses event {}: {}", e.id,
                    appended.error().describe());
      ++refused;
    } else {
      ok = false;
      break;
    }
  }
  batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(done));
  {
    std::lock_guard lock(mutex_);
    stored_ += stored;
    abandoned_ += refused;
    inFlight_ -= static_cast<std::size_t>(stored + refused);
  }
  roomAvailable_.notify_all();
  progress_.notify_all();
  return ok;
}

void AccessEventWriter::writeSink(const std::vector<store::AccessEventRecord>& batch) {
  if (sink_ == nullptr) {
    return;
  }
  // One line per event whatever the caller passed: a raw line break is insignificant
  // whitespace between JSON tokens and invalid inside strings, so a blank is as good.
  std::string lines;
  for (const auto& e : batch) {
    for (const char c : e.document) {
      lines += c == '\n' || c == '\r' ? ' ' : c;
    }
    lines += '\n';
  }
  const bool written =
      std::fwrite(lines.data(), 1, lines.size(), sink_) == lines.size() && std::fflush(sink_) == 0;
  if (!written) {
    const int err = errno;
    {
      std::lock_guard lock(mutex_);
      ++sinkFailures_;
    }
    // Logged when the stream starts failing, not on every batch of a full disk.
    if (!sinkFailing_) {
      spdlog::error("access events: writing {} events to the stream failed: {}", batch.size(),
                    std::strerror(err));
    }
    sinkFailing_ = true;
  } else if (sinkFailing_) {
    spdlog::info("access events: the stream takes events again");
    sinkFailing_ = false;
  }
}

}  // namespace tessera::hub
