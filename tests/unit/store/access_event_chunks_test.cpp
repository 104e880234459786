#include "store/sqlite/access_event_chunks.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "store/access_event_rules.hpp"

namespace tessera::store {
namespace {

const SystemTime kEpoch = fromUnixSeconds(1'800'000'000);

AccessEventRecord event(std::string id, std::int64_t micros, std::string policy,
                        std::string outcome = "authorized") {
  AccessEventRecord e;
  e.id = std::move(id);
  e.time = kEpoch + std::chrono::microseconds(micros);
  e.outcome = std::move(outcome);
  e.policy = std::move(policy);
  e.clientWorkload = "c";
  e.serverWorkload = "s";
  e.document = "{}";
  return e;
}

std::vector<const AccessEventChunk*> chunksOf(const std::vector<AccessEventChunk>& chunks,
                                              std::string_view column) {
  std::vector<const AccessEventChunk*> out;
  for (const auto& c : chunks) {
    if (c.column == column) {
      out.push_back(&c);
    }
  }
  return out;
}

TEST(AccessEventChunks, OneChunkPerValueAndColumnWithItsNewestAndOldest) {
  const std::vector<AccessEventRecord> events = {
      event("b", 30, "p1"), event("a", 10, "p2", "error"), event("c", 30, "p1"),
      event("d", 20, "p1", "unauthorized")};
  const std::vector<std::int64_t> rows = {101, 102, 103, 104};
  const auto chunks = buildAccessEventChunks(events, rows);
  // policy: p1, p2; client and server: one value each; outcome: three values.
  ASSERT_EQ(chunks.size(), 7u);
  const auto policy = chunksOf(chunks, "policy");
  ASSERT_EQ(policy.size(), 2u);
  EXPECT_EQ(policy[0]->value, "p1");
  EXPECT_EQ(policy[0]->newestId, "c") << "ties in time are ordered by id";
  EXPECT_EQ(policy[0]->newestMicros, toAccessEventMicros(kEpoch) + 30);
  EXPECT_EQ(policy[0]->oldestMicros, toAccessEventMicros(kEpoch) + 20);
  EXPECT_EQ(accessEventChunkRows(policy[0]->firstRow, policy[0]->members),
            (std::vector<std::int64_t>{101, 103, 104}));
  EXPECT_EQ(policy[1]->value, "p2");
  EXPECT_EQ(accessEventChunkRows(policy[1]->firstRow, policy[1]->members),
            (std::vector<std::int64_t>{102}));
  const auto client = chunksOf(chunks, "client_workload");
  ASSERT_EQ(client.size(), 1u);
  EXPECT_EQ(accessEventChunkRows(client[0]->firstRow, client[0]->members),
            (std::vector<std::int64_t>{101, 102, 103, 104}));
  EXPECT_EQ(client[0]->newestId, "c");
  EXPECT_EQ(chunksOf(chunks, "server_workload").size(), 1u);
  EXPECT_EQ(chunksOf(chunks, "outcome").size(), 3u);
}

TEST(AccessEventChunks, ChunksSpanAtMostTheirTimeAndRowLimits) {
  // One value, events 0.4 s apart: a chunk holds those within one span of its oldest.
  std::vector<AccessEventRecord> events;
  std::vector<std::int64_t> rows;
  for (int i = 0; i < 7; ++i) {
    events.push_back(event("e" + std::to_string(i), i * 400'000, "p"));
    rows.push_back(i + 1);
  }
  auto policy = chunksOf(buildAccessEventChunks(events, rows), "policy");
  ASSERT_EQ(policy.size(), 3u);  // 0-0.8 s, 1.2-2.0 s, 2.4 s
  for (const auto* c : policy) {
    EXPECT_LE(c->newestMicros - c->oldestMicros, kAccessEventChunkSpanMicros);
  }
  EXPECT_EQ(accessEventChunkRows(policy[0]->firstRow, policy[0]->members),
            (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(accessEventChunkRows(policy[2]->firstRow, policy[2]->members),
            (std::vector<std::int64_t>{7}));

  // Rows far apart (not one append's, but the rule holds): the bitmap stays bounded.
  const std::vector<AccessEventRecord> two = {event("x", 0, "p"), event("y", 1, "p")};
  const std::vector<std::int64_t> apart = {1, 1 + kAccessEventChunkRows};
  policy = chunksOf(buildAccessEventChunks(two, apart), "policy");
  ASSERT_EQ(policy.size(), 2u);
  EXPECT_EQ(policy[0]->members.size(), 1u);
}

TEST(AccessEventChunks, EveryEventIsInExactlyOneChunkPerColumn) {
  std::mt19937 random(7);
  std::vector<AccessEventRecord> events;
  std::vector<std::int64_t> rows;
  for (int i = 0; i < 500; ++i) {
    events.push_back(
        event("id" + std::to_string(i), static_cast<std::int64_t>(random() % 5'000'000),
              "p" + std::to_string(random() % 4), random() % 2 ? "authorized" : "unauthorized"));
    rows.push_back(9'000 + i);
  }
  const auto chunks = buildAccessEventChunks(events, rows);
  for (const auto& column : kAccessEventFilterColumns) {
    std::map<std::int64_t, int> seen;
    for (const auto* c : chunksOf(chunks, column.name)) {
      std::int64_t newest = std::numeric_limits<std::int64_t>::min();
      std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
      for (const auto row : accessEventChunkRows(c->firstRow, c->members)) {
        ++seen[row];
        const auto& e = events[static_cast<std::size_t>(row - 9'000)];
        EXPECT_EQ(e.*column.value, c->value);
        const auto micros = toAccessEventMicros(e.time);
        EXPECT_TRUE(micros < c->newestMicros || (micros == c->newestMicros && e.id <= c->newestId));
        newest = std::max(newest, micros);
        oldest = std::min(oldest, micros);
      }
      EXPECT_EQ(newest, c->newestMicros);
      EXPECT_EQ(oldest, c->oldestMicros);
      EXPECT_LE(newest - oldest, kAccessEventChunkSpanMicros);
    }
    EXPECT_EQ(seen.size(), events.size()) << column.name;
    for (const auto& [row, times] : seen) {
      EXPECT_EQ(times, 1) << column.name << " row " << row;
    }
  }
}

TEST(AccessEventChunks, MembersBitmapReadsBackAnySet) {
  EXPECT_EQ(accessEventChunkRows(40, std::string("\x01", 1)), (std::vector<std::int64_t>{40}));
  EXPECT_EQ(accessEventChunkRows(40, std::string("\x80\x00\x03", 3)),
            (std::vector<std::int64_t>{47, 56, 57}));
  EXPECT_TRUE(accessEventChunkRows(40, std::string("\x00", 1)).empty());
  EXPECT_TRUE(accessEventChunkRows(40, "").empty());
}

}  // namespace
}  // namespace tessera::store
