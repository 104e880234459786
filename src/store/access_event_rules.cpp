#include "store/access_event_rules.hpp"

#include <charconv>

#include "common/hex_digit.hpp"

namespace tessera::store {

namespace {

constexpr std::size_t kMaxIdBytes = 200;
// A cursor holds an id (at most 200 bytes) and a number: anything longer is not ours.
constexpr std::size_t kMaxTokenChars = 2 * (kMaxIdBytes + 32);

Error badToken() {
  return Error{ErrorCode::kInvalidArgument,
               "the page token is not valid: pass nextPageToken from a previous page unchanged"};
}

}  // namespace

Result<void> validateAccessEvent(const AccessEventRecord& event) {
  if (event.id.empty() || event.id.size() > kMaxIdBytes) {
    return fail(ErrorCode::kInvalidArgument, "an access event id must be 1 to 200 bytes");
  }
  if (event.outcome != "authorized" && event.outcome != "unauthorized" &&
      event.outcome != "error") {
    return fail(ErrorCode::kInvalidArgument,
                "access event " + event.id + ": outcome must be authorized, unauthorized or error");
  }
  if (event.document.empty()) {
    return fail(ErrorCode::kInvalidArgument, "access event " + event.id + ": document is empty");
  }
  return {};
}

std::int64_t toAccessEventMicros(SystemTime time) {
  return std::chrono::floor<std::chrono::microseconds>(time.time_since_epoch()).count();
}

SystemTime fromAccessEventMicros(std::int64_t micros) {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::microseconds(micros)));
}

std::string encodeAccessEventCursor(const AccessEventCursor& cursor) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string plain = std::to_string(cursor.timeMicros) + ":" + cursor.id;
  std::string out;
  out.reserve(plain.size() * 2);
  for (const unsigned char c : plain) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

Result<std::optional<AccessEventCursor>> decodeAccessEventCursor(const std::string& token) {
  if (token.empty()) {
    return std::optional<AccessEventCursor>();
  }
  if (token.size() % 2 != 0 || token.size() > kMaxTokenChars) {
    return badToken();
  }
  std::string plain;
  plain.reserve(token.size() / 2);
  for (std::size_t i = 0; i < token.size(); i += 2) {
    const int hi = hexDigitValue(token[i]);
    const int lo = hexDigitValue(token[i + 1]);
    if (hi < 0 || lo < 0) {
      return badToken();
    }
    plain += static_cast<char>(hi * 16 + lo);
  }
  const auto colon = plain.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == plain.size() ||
      plain.size() - colon - 1 > kMaxIdBytes) {
    return badToken();
  }
  AccessEventCursor cursor;
  const char* end = plain.data() + colon;
  const auto [ptr, ec] = std::from_chars(plain.data(), end, cursor.timeMicros);
  if (ec != std::errc() || ptr != end) {
    return badToken();
  }
  cursor.id = plain.substr(colon + 1);
  return std::optional<AccessEventCursor>(std::move(cursor));
}

Result<void> checkAccessEventLimit(int limit) {
  if (limit < 1 || limit > kMaxAccessEventPage) {
    return fail(ErrorCode::kInvalidArgument, "limit must be between 1 and " +
                                                 std::to_string(kMaxAccessEventPage) + ", not " +
                                                 std::to_string(limit));
  }
  return {};
}

Error accessEventExists(const std::string& id) {
  return Error{ErrorCode::kAlreadyExists, "access event " + id + " already exists"};
}

Error accessEventMissing(const std::string& id) {
  return Error{ErrorCode::kNotFound, "no access event " + id};
}

}  // namespace tessera::store
