#include "common/time_format.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace tessera {

Rfc3339Text unixRfc3339Text(std::int64_t unixSeconds) {
  // By arithmetic (Howard Hinnant's civil_from_days) rather than gmtime_r, which takes glibc's
  // time-zone lock: this runs several times for every access decision.
  Rfc3339Text text;
  auto& buf = text.bytes;
  // Outside years 0000 to 9999 (which RFC 3339 cannot write), the number itself; checked first,
  // as the day arithmetic would overflow near the ends of the range.
  constexpr std::int64_t kYear0 = -62167219200;        // 0000-01-01T00:00:00Z
  constexpr std::int64_t kYear9999End = 253402300799;  // 9999-12-31T23:59:59Z
  if (unixSeconds < kYear0 || unixSeconds > kYear9999End) {
    text.size = static_cast<std::size_t>(
        std::to_chars(buf.data(), buf.data() + buf.size(), unixSeconds).ptr - buf.data());
    return text;
  }
  const std::int64_t days = unixSeconds >= 0 ? unixSeconds / 86400 : (unixSeconds - 86399) / 86400;
  const std::int64_t secondOfDay = unixSeconds - days * 86400;
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2);
  // YYYY-MM-DDThh:mm:ssZ
  const auto put = [&buf](int at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[at + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<unsigned>(year), 4);
  buf[4] = '-';
  put(5, month, 2);
  buf[7] = '-';
  put(8, day, 2);
  buf[10] = 'T';
  put(11, static_cast<unsigned>(secondOfDay / 3600), 2);
  buf[13] = ':';
  put(14, static_cast<unsigned>(secondOfDay / 60 % 60), 2);
  buf[16] = ':';
  put(17, static_cast<unsigned>(secondOfDay % 60), 2);
  buf[19] = 'Z';
  text.size = 20;
  return text;
}

std::string formatUnixRfc3339(std::int64_t unixSeconds) {
  return std::string(unixRfc3339Text(unixSeconds).view());
}

Rfc3339Text rfc3339Text(SystemTime t) {
  return unixRfc3339Text(toUnixSeconds(t));
}

std::string formatRfc3339(SystemTime t) {
  return formatUnixRfc3339(toUnixSeconds(t));
}

namespace {
bool readInt(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) {
    return false;
  }
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return ec == std::errc{} && p == s.data() + pos + len;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
}  // namespace

Result<SystemTime> parseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(s.substr(0, 64)) + "' is not an RFC 3339 time");
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return bad();
  }
  if (!readInt(s, 0, 4, year) || !readInt(s, 5, 2, month) || !readInt(s, 8, 2, day) ||
      !readInt(s, 11, 2, hour) || !readInt(s, 14, 2, minute) || !readInt(s, 17, 2, second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ++pos;
      ++digits;
    }
    if (digits == 0) {
      return bad();
    }
  }
  std::int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (pos + 6 != s.size() || s[pos + 3] != ':' || !readInt(s, pos + 1, 2, oh) ||
        !readInt(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad();
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) {
    return bad();
  }
  const std::int64_t days =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset;
  return fromUnixSeconds(secs);
}

}  // namespace tessera
