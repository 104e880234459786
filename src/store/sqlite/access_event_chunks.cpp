#include "store/sqlite/access_event_chunks.hpp"

#include <algorithm>
#include <tuple>

#include "store/access_event_rules.hpp"

namespace tessera::store {

namespace {

struct Member {
  std::string_view value;
  std::int64_t micros;
  std::string_view id;
  std::int64_t row;
};

AccessEventChunk makeChunk(std::string_view column, std::span<const Member> members) {
  AccessEventChunk chunk;
  chunk.column = column;
  chunk.value = members.front().value;
  chunk.newestMicros = members.back().micros;
  chunk.newestId = members.back().id;
  chunk.oldestMicros = members.front().micros;
  std::int64_t first = members.front().row;
  std::int64_t last = first;
  for (const auto& m : members) {
    first = std::min(first, m.row);
    last = std::max(last, m.row);
  }
  chunk.firstRow = first;
  chunk.members.assign(static_cast<std::size_t>((last - first) / 8 + 1), '\0');
  for (const auto& m : members) {
    const auto bit = static_cast<std::size_t>(m.row - first);
    chunk.members[bit / 8] = static_cast<char>(chunk.members[bit / 8] | (1 << (bit % 8)));
  }
  return chunk;
}

}  // namespace

std::vector<AccessEventChunk> buildAccessEventChunks(std::span<const AccessEventRecord> events,
                                                     std::span<const std::int64_t> rows) {
  std::vector<AccessEventChunk> chunks;
  std::vector<Member> members(events.size());
  for (const auto& column : kAccessEventFilterColumns) {
    for (std::size_t i = 0; i < events.size(); ++i) {
      members[i] = Member{events[i].*column.value, toAccessEventMicros(events[i].time),
                          events[i].id, rows[i]};
    }
    // By value, then in (time, id) order: each chunk is a run of one value, closed when the
    // next member would stretch it past the span in time or in rows.
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
      return std::tie(a.value, a.micros, a.id) < std::tie(b.value, b.micros, b.id);
    });
    std::size_t start = 0;
    std::int64_t low = 0;
    std::int64_t high = 0;
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto& m = members[i];
      if (i > start) {
        const bool fits = m.value == members[start].value &&
                          m.micros - members[start].micros <= kAccessEventChunkSpanMicros &&
                          std::max(high, m.row) - std::min(low, m.row) < kAccessEventChunkRows;
        if (fits) {
          low = std::min(low, m.row);
          high = std::max(high, m.row);
          continue;
        }
        chunks.push_back(makeChunk(column.name, std::span(members).subspan(start, i - start)));
      }
      start = i;
      low = high = m.row;
    }
    if (start < members.size()) {
      chunks.push_back(makeChunk(column.name, std::span(members).subspan(start)));
    }
  }
  return chunks;
}

std::vector<std::int64_t> accessEventChunkRows(std::int64_t firstRow, std::string_view members) {
  std::vector<std::int64_t> rows;
  for (std::size_t byte = 0; byte < members.size(); ++byte) {
    const auto bits = static_cast<unsigned char>(members[byte]);
    for (int bit = 0; bit < 8; ++bit) {
      if ((bits >> bit) & 1) {
        rows.push_back(firstRow + static_cast<std::int64_t>(byte * 8 + bit));
      }
    }
  }
  return rows;
}

}  // namespace tessera::store
