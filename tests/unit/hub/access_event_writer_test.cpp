// The access event writer against a repository double that can hold, fail or half-fail appends:
// order, batching, the JSON lines stream, backpressure, retries and draining at stop.
#include "hub/access_event_writer.hpp"
#include "scratch_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

namespace tessera::hub {
namespace {

using store::AccessEventRecord;
using namespace std::chrono_literals;

// Keeps appended events in memory. Appends can be held at a gate, made to fail, or made to
// commit and then report a failure (a connection lost at COMMIT).
class FakeRepository final : public store::AccessEventRepository {
 public:
  Result<void> append(const std::vector<AccessEventRecord>& events) override {
    std::unique_lock lock(mutex_);
    ++waiting_;
    gate_.notify_all();
    gate_.wait(lock, [&] { return open_; });
    --waiting_;
    if (failuresLeft_ > 0) {
      --failuresLeft_;
      return fail(ErrorCode::kStoreFailure, "injected store failure");
    }
    std::set<std::string> batchIds;
    for (const auto& e : events) {
      if (byId_.contains(e.id) || !batchIds.insert(e.id).second) {
        return fail(ErrorCode::kAlreadyExists, "access event " + e.id + " already exists");
      }
    }
    for (const auto& e : events) {
      byId_[e.id] = e;
      ids_.push_back(e.id);
    }
    batchSizes_.push_back(events.size());
    if (lostCommitsLeft_ > 0) {
      --lostCommitsLeft_;
      return fail(ErrorCode::kStoreFailure, "injected: connection lost at COMMIT");
    }
    return {};
  }
  Result<store::AccessEventPage> query(const store::AccessEventQuery&) override {
    return fail(ErrorCode::kInternal, "not used by the writer");
  }
  Result<AccessEventRecord> get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto it = byId_.find(id);
    if (it == byId_.end()) {
      return fail(ErrorCode::kNotFound, "no access event " + id);
    }
    return it->second;
  }

  void hold() { setOpen(false); }
  // Until an append is waiting at the closed gate.
  void awaitHeldAppend() {
    std::unique_lock lock(mutex_);
    gate_.wait(lock, [&] { return waiting_ > 0; });
  }
  void release() { setOpen(true); }
  void failNext(int n) {
    std::lock_guard lock(mutex_);
    failuresLeft_ = n;
  }
  void loseNextCommits(int n) {
    std::lock_guard lock(mutex_);
    lostCommitsLeft_ = n;
  }
  std::vector<std::string> ids() const {
    std::lock_guard lock(mutex_);
    return ids_;
  }
  std::vector<std::size_t> batchSizes() const {
    std::lock_guard lock(mutex_);
    return batchSizes_;
  }

 private:
  void setOpen(bool open) {
    {
      std::lock_guard lock(mutex_);
      open_ = open;
    }
    gate_.notify_all();
  }
  mutable std::mutex mutex_;
  std::condition_variable gate_;
  bool open_ = true;
  int failuresLeft_ = 0;
  int lostCommitsLeft_ = 0;
  int waiting_ = 0;
  std::map<std::string, AccessEventRecord> byId_;
  std::vector<std::string> ids_;
  std::vector<std::size_t> batchSizes_;
};

AccessEventRecord event(const std::string& id) {
  AccessEventRecord e;
  e.id = id;
  e.time = fromUnixSeconds(1'700'000'000);
  e.outcome = "authorized";
  e.policy = "p";
  e.document = nlohmann::json{{"id", id}, {"outcome", "authorized"}}.dump();
  return e;
}

std::vector<std::string> idsFrom(int first, int count, const std::string& prefix = "e") {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) {
    out.push_back(prefix + std::to_string(i));
  }
  return out;
}

class AccessEventWriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<AccessEventWriter> start(AccessEventWriterOptions options = {}) {
    options.firstRetryDelay = 5ms;
    options.maxRetryDelay = 20ms;
    auto writer = AccessEventWriter::start(repo_, std::move(options));
    EXPECT_TRUE(writer.ok()) << writer.error().describe();
    return std::move(*writer);
  }

  void recordAll(AccessEventWriter& writer, const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      auto r = writer.record(event(id));
      ASSERT_TRUE(r.ok()) << id << ": " << r.error().describe();
    }
  }

  std::vector<std::string> lines(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  }

  std::shared_ptr<FakeRepository> repo_ = std::make_shared<FakeRepository>();
  testing::ScratchDir scratch_{"events"};
  const std::filesystem::path dir_ = scratch_.path();
};

TEST_F(AccessEventWriterTest, StoresEveryEventInRecordOrder) {
  auto writer = start();
  const auto ids = idsFrom(0, 1000);
  recordAll(*writer, ids);
  ASSERT_TRUE(writer->flush(10s).ok());
  EXPECT_EQ(repo_->ids(), ids);
  const auto stats = writer->stats();
  EXPECT_EQ(stats.recorded, 1000u);
  EXPECT_EQ(stats.stored, 1000u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.failures, 0u);
  EXPECT_EQ(repo_->get("e999")->document, event("e999").document);
}

TEST_F(AccessEventWriterTest, ConcurrentRecordersKeepTheirOwnOrder) {
  auto writer = start();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] { recordAll(*writer, idsFrom(0, 500, "t" + std::to_string(t))); });
  }
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_TRUE(writer->flush(10s).ok());
  const auto stored = repo_->ids();
  ASSERT_EQ(stored.size(), 2000u);
  std::map<char, std::vector<std::string>> perThread;
  for (const auto& id : stored) {
    perThread[id[1]].push_back(id);
  }
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(perThread['0' + t], idsFrom(0, 500, "t" + std::to_string(t)));
  }
}

TEST_F(AccessEventWriterTest, BatchesWhatQueuedWhileTheStoreWasBusy) {
  AccessEventWriterOptions options;
  options.maxBatch = 500;
  auto writer = start(options);
  repo_->hold();
  recordAll(*writer, {"e0"});
  repo_->awaitHeldAppend();  // the batch {e0} is being written: everything after it queues
  recordAll(*writer, idsFrom(1, 1200));
  repo_->release();
  ASSERT_TRUE(writer->flush(10s).ok());
  EXPECT_EQ(repo_->batchSizes(), (std::vector<std::size_t>{1, 500, 500, 200}));
  EXPECT_EQ(repo_->ids(), idsFrom(0, 1201));
}

TEST_F(AccessEventWriterTest, WritesEachDocumentAsOneJsonLine) {
  const auto file = dir_ / "events.jsonl";
  {
    std::ofstream existing(file);
    existing << R"({"earlier":true})"
             << "\n";
  }
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  AccessEventWriterOptions options;
  options.sink = file.string();
  auto writer = start(options);
  std::vector<std::string> documents;
  for (int i = 0; i < 20; ++i) {
    auto e = event("e" + std::to_string(i));
    if (i == 7) {
      // Pretty-printed by mistake: still one line, still the same JSON.
      e.document = nlohmann::json{{"id", e.id}, {"nested", {{"a", 1}}}}.dump(2);
    }
    documents.push_back(e.document);
    ASSERT_TRUE(writer->record(e).ok());
  }
  ASSERT_TRUE(writer->flush(10s).ok());
  auto written = lines(file);
  ASSERT_EQ(written.size(), 21u) << "appended after the existing line";
  EXPECT_EQ(written[0], R"({"earlier":true})");
  for (std::size_t i = 0; i < documents.size(); ++i) {
    const auto& line = written[i + 1];
    const auto parsed = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << line;
    ASSERT_TRUE(parsed.is_object()) << line;
    EXPECT_EQ(parsed, nlohmann::json::parse(documents[i]));
    if (i != 7) {
      EXPECT_EQ(line, documents[i]) << "written byte for byte";
    }
  }
  ASSERT_TRUE(writer->stop().ok());
  EXPECT_EQ(lines(file).size(), 21u);
}

TEST_F(AccessEventWriterTest, CreatesTheStreamOwnerOnly) {
  const auto file = dir_ / "new.jsonl";
  AccessEventWriterOptions options;
  options.sink = file.string();
  auto writer = start(options);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(writer->stop().ok());
  // A second hub run appends to the same file.
  {
    auto again = start(options);
    recordAll(*again, {"x1"});
  }  // the destructor drains
  EXPECT_EQ(lines(file), std::vector<std::string>{event("x1").document});

  options.sink = (dir_ / "missing" / "events.jsonl").string();
  auto refused = AccessEventWriter::start(repo_, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kIo);
  EXPECT_NE(refused.error().message.find("missing/events.jsonl"), std::string::npos);
}

TEST_F(AccessEventWriterTest, AStdoutReaderThatWentAwayStopsOnlyTheStream) {
  // stdout becomes a pipe nobody reads: writing to it raises SIGPIPE unless the writer blocks it.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  std::fflush(stdout);
  const int savedStdout = ::dup(STDOUT_FILENO);
  ::dup2(fds[1], STDOUT_FILENO);
  ::close(fds[1]);
  AccessEventWriterOptions options;
  options.sink = "-";
  auto writer = start(options);
  recordAll(*writer, idsFrom(0, 3));
  auto flushed = writer->flush(10s);
  auto stopped = writer->stop();
  ::dup2(savedStdout, STDOUT_FILENO);
  ::close(savedStdout);
  std::clearerr(stdout);
  ASSERT_TRUE(flushed.ok());
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(repo_->ids(), idsFrom(0, 3)) << "still stored";
  EXPECT_GE(writer->stats().sinkFailures, 1u);
}

TEST_F(AccessEventWriterTest, FullBacklogFailsAfterMaxWait) {
  AccessEventWriterOptions options;
  options.maxQueued = 5;
  options.maxWait = 400ms;
  auto writer = start(options);
  repo_->hold();
  recordAll(*writer, idsFrom(0, 5));  // one in the held batch (or queued), the rest queued
  const auto begin = std::chrono::steady_clock::now();
  auto full = writer->record(event("e5"));
  const auto waited = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(full.error().message, "access event backlog full");
  EXPECT_GE(waited, 400ms);
  EXPECT_LT(waited, 3s);
  EXPECT_EQ(writer->stats().recorded, 5u);

  // Room that appears within maxWait lets the call through.
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    repo_->release();
  });
  auto waitedIn = writer->record(event("e6"));
  releaser.join();
  EXPECT_TRUE(waitedIn.ok()) << waitedIn.error().describe();
  ASSERT_TRUE(writer->flush(10s).ok());
  EXPECT_EQ(repo_->ids(), (std::vector<std::string>{"e0", "e1", "e2", "e3", "e4", "e6"}));
}

TEST_F(AccessEventWriterTest, StoreFailuresAreRetriedAndLoseNothing) {
  auto writer = start();
  repo_->failNext(4);
  recordAll(*writer, idsFrom(0, 50));
  ASSERT_TRUE(writer->flush(10s).ok());
  recordAll(*writer, idsFrom(50, 10));
  ASSERT_TRUE(writer->flush(10s).ok());
  EXPECT_EQ(repo_->ids(), idsFrom(0, 60));
  const auto stats = writer->stats();
  EXPECT_EQ(stats.failures, 4u);
  EXPECT_EQ(stats.stored, 60u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.abandoned, 0u);
}

TEST_F(AccessEventWriterTest, ABatchWhoseCommitWasLostIsNotStoredTwice) {
  auto writer = start();
  repo_->hold();
  recordAll(*writer, idsFrom(0, 30));
  repo_->loseNextCommits(1);  // the first batch lands but reports failure
  repo_->release();
  ASSERT_TRUE(writer->flush(10s).ok());
  recordAll(*writer, {"after"});
  ASSERT_TRUE(writer->flush(10s).ok());
  auto expected = idsFrom(0, 30);
  expected.push_back("after");
  EXPECT_EQ(repo_->ids(), expected);
  EXPECT_EQ(writer->stats().stored, 31u);
  EXPECT_EQ(writer->stats().failures, 1u);
}

TEST_F(AccessEventWriterTest, StopDrainsEverythingThenRefuses) {
  const auto file = dir_ / "events.jsonl";
  AccessEventWriterOptions options;
  options.sink = file.string();
  auto writer = start(options);
  repo_->hold();
  recordAll(*writer, idsFrom(0, 1500));
  repo_->failNext(2);
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    repo_->release();
  });
  ASSERT_TRUE(writer->stop().ok());
  releaser.join();
  EXPECT_EQ(repo_->ids(), idsFrom(0, 1500));
  EXPECT_EQ(lines(file).size(), 1500u);
  auto late = writer->record(event("late"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(writer->stop().ok()) << "idempotent";
  EXPECT_TRUE(writer->flush(1s).ok());
}

TEST_F(AccessEventWriterTest, StopWithADeadlineAbandonsWhatTheStoreWillNotTake) {
  const auto file = dir_ / "events.jsonl";
  AccessEventWriterOptions options;
  options.sink = file.string();
  auto writer = start(options);
  repo_->failNext(1'000'000);
  recordAll(*writer, idsFrom(0, 3));
  auto stopped = writer->stop(200ms);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, ErrorCode::kUnavailable);
  const auto stats = writer->stats();
  EXPECT_EQ(stats.abandoned, 3u);
  EXPECT_EQ(stats.stored, 0u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_GE(stats.failures, 1u);
  // The stream still has them.
  EXPECT_EQ(lines(file).size(), 3u);
}

TEST_F(AccessEventWriterTest, RefusesInvalidEventsAtOnce) {
  auto writer = start();
  auto noId = event("");
  EXPECT_EQ(writer->record(noId).error().code, ErrorCode::kInvalidArgument);
  auto badOutcome = event("x");
  badOutcome.outcome = "allowed";
  EXPECT_EQ(writer->record(badOutcome).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(writer->stats().recorded, 0u);
  auto timedOut = [&] {
    repo_->hold();
    EXPECT_TRUE(writer->record(event("y")).ok());
    auto r = writer->flush(50ms);
    repo_->release();
    return r;
  }();
  ASSERT_FALSE(timedOut.ok());
  EXPECT_EQ(timedOut.error().code, ErrorCode::kTimeout);
}

}  // namespace
}  // namespace tessera::hub
