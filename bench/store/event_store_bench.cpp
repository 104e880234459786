// Access events stored per second of CPU through the SQLite event repository, in the batches the
// hub's event writer makes under load (hundreds per transaction), with documents the size of a
// real authorized decision's (about 1.8 KB). CPU time includes the kernel's share of the writes.
// The anchor in the same run is the same rows into a table without any index: the least SQLite
// can do for them. BM_QueryEventStore reads pages back from 200,000 stored events: the first page
// of 100 with no filter, by policy (a third of the events), by outcome (an eighth), by both, and
// the 20th page by policy. (Run by hand: build/release/bench/event_store_bench.)
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "scratch_dir.hpp"
#include "store/access_event_rules.hpp"
#include "store/store.hpp"

namespace {

using namespace tessera;

constexpr std::size_t kBatch = 400;

// A document shaped like an authorized decision's event; the id and time vary.
std::string documentFor(const std::string& id) {
  std::string doc = R"({"contextId":")" + id + R"(","time":"2026-12-01T20:39:11Z")";
  doc +=
      R"(,"outcome":"authorized","reasonCode":"Authorized","reason":"client workload bench-pods )";
  doc += R"(may reach api-5 through policy pods-to-api-5 with credential provider api-token")";
  while (doc.size() < 1800) {
    doc +=
        R"(,"trace":{"stage":"trustProvider","passed":true,"detail":"verified system:sa:bench"})";
  }
  return doc + "}";
}

std::vector<store::AccessEventRecord> makeBatch(std::uint64_t& micros, std::mt19937_64& random) {
  static const char* kPolicies[] = {"pods-to-api-1", "pods-to-api-2", "pods-to-api-3"};
  std::vector<store::AccessEventRecord> batch;
  batch.reserve(kBatch);
  for (std::size_t i = 0; i < kBatch; ++i) {
    micros += 25;
    char id[31];
    std::snprintf(id, sizeof id, "%014llx%016llx", static_cast<unsigned long long>(micros),
                  static_cast<unsigned long long>(random()));
    store::AccessEventRecord r;
    r.id = id;
    r.time = SystemTime(std::chrono::microseconds(micros));
    r.outcome = random() % 8 == 0 ? "unauthorized" : "authorized";
    r.reasonCode = r.outcome == "authorized" ? "Authorized" : "MatchRuleFailed";
    r.policy = kPolicies[random() % 3];
    r.serverWorkload = "api-" + r.policy.substr(12);
    r.clientWorkload = "bench-pods";
    r.sourceIp = "10.0.1.7";
    r.document = documentFor(r.id);
    batch.push_back(std::move(r));
  }
  return batch;
}

// Batches with ids and times that keep increasing, made outside the timed part.
class BatchSource {
 public:
  std::vector<store::AccessEventRecord> next(benchmark::State& state) {
    state.PauseTiming();
    auto batch = makeBatch(micros_, random_);
    state.ResumeTiming();
    return batch;
  }

 private:
  std::uint64_t micros_ = 1'796'061'600'000'000;
  std::mt19937_64 random_{1};
};

void BM_AppendToEventStore(benchmark::State& state) {
  const tessera::testing::ScratchDir dir("event-store-bench");  // outlives the store below
  auto opened = store::openSqliteStore(dir.path() / "hub.db");
  if (!opened) {
    throw std::runtime_error(opened.error().describe());
  }
  auto repository = opened->accessEventWriter;
  BatchSource batches;
  for (auto _ : state) {
    if (auto r = repository->append(batches.next(state)); !r) {
      throw std::runtime_error(r.error().describe());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_AppendToEventStore)->Unit(benchmark::kMillisecond)->MinTime(3);

// 200,000 events in the batches above, stored once for all query cases.
store::Store filledStore(const std::filesystem::path& file) {
  auto o = store::openSqliteStore(file);
  if (!o) {
    throw std::runtime_error(o.error().describe());
  }
  std::uint64_t micros = 1'796'061'600'000'000;
  std::mt19937_64 random{2};
  for (int i = 0; i < 500; ++i) {
    if (auto r = o->accessEventWriter->append(makeBatch(micros, random)); !r) {
      throw std::runtime_error(r.error().describe());
    }
  }
  return std::move(*o);
}

store::AccessEventRepository& filledRepository() {
  // Statics end in reverse order: the store closes before its directory goes.
  static const tessera::testing::ScratchDir dir("event-store-bench");
  static const store::Store filled = filledStore(dir.path() / "hub.db");
  return *filled.accessEvents;
}

void BM_QueryEventStore(benchmark::State& state) {
  auto& repository = filledRepository();
  store::AccessEventQuery query;
  const auto which = state.range(0);
  if (which == 1 || which == 3 || which == 4) {
    query.policy = "pods-to-api-2";
  }
  if (which == 2 || which == 3) {
    query.outcome = "unauthorized";
  }
  const int pages = which == 4 ? 20 : 1;
  std::size_t listed = 0;
  for (auto _ : state) {
    query.pageToken.clear();
    for (int page = 0; page < pages; ++page) {
      auto r = repository.query(query);
      if (!r || r->records.size() != 100) {
        throw std::runtime_error("query case " + std::to_string(which) + " listed too little");
      }
      listed += r->records.size();
      query.pageToken = r->nextPageToken;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(listed));
  static const char* kLabels[] = {"no filter", "policy", "outcome", "policy and outcome",
                                  "policy, 20th page"};
  state.SetLabel(kLabels[which]);
}
BENCHMARK(BM_QueryEventStore)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

// The anchor: the same rows, WAL and synchronous=NORMAL, one table without any index.
void BM_AppendToBareTable(benchmark::State& state) {
  const tessera::testing::ScratchDir dir("event-store-bench");
  sqlite3* db = nullptr;
  sqlite3_open((dir.path() / "bare.db").c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE e (id TEXT, "
               "time_us BIGINT, outcome TEXT, reason_code TEXT, server_workload TEXT, policy TEXT, "
               "client_workload TEXT, source_ip TEXT, document TEXT)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO e VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &insert, nullptr);
  BatchSource batches;
  for (auto _ : state) {
    const auto batch = batches.next(state);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const auto& r : batch) {
      sqlite3_reset(insert);
      int i = 1;
      sqlite3_bind_text(insert, i++, r.id.data(), static_cast<int>(r.id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert, i++, store::toAccessEventMicros(r.time));
      for (const std::string* s : {&r.outcome, &r.reasonCode, &r.serverWorkload, &r.policy,
                                   &r.clientWorkload, &r.sourceIp, &r.document}) {
        sqlite3_bind_text(insert, i++, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
      }
      if (sqlite3_step(insert) != SQLITE_DONE) {
        throw std::runtime_error(sqlite3_errmsg(db));
      }
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  sqlite3_finalize(insert);
  sqlite3_close(db);
}
BENCHMARK(BM_AppendToBareTable)->Unit(benchmark::kMillisecond)->MinTime(3);

}  // namespace

BENCHMARK_MAIN();
