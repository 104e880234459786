#include "edge/simple_http_head.hpp"

#include "net/http_types.hpp"

namespace tessera::edge {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kEndOfHead = "\r\n\r\n";

bool isOws(char c) {
  return c == ' ' || c == '\t';
}

// Visible ASCII, space and tab: what a simple field value or reason phrase may hold (obs-text,
// controls and DEL are left to Beast).
bool isSimpleText(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!(c == '\t' || (u >= 0x20 && u < 0x7f))) {
      return false;
    }
  }
  return true;
}

// A request target as the request line may carry it here: visible ASCII, no space.
bool isSimpleTarget(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return false;
    }
  }
  return true;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isOws(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// Where the head ends (`size`: just past its blank line). Incomplete or too large: decided the
// same way for requests and responses.
SimpleHead findHead(std::string_view bytes, std::size_t maxHeadBytes, std::size_t& size) {
  const auto end = bytes.find(kEndOfHead);
  if (end == std::string_view::npos) {
    // Beast waits for the end of the head too, until its header limit.
    return bytes.size() >= maxHeadBytes ? SimpleHead::kNotSimple : SimpleHead::kIncomplete;
  }
  size = end + kEndOfHead.size();
  return size > maxHeadBytes ? SimpleHead::kNotSimple : SimpleHead::kSimple;
}

// A head is read once it has ended; until then the lines received so far must already be simple
// (Beast rejects some bad start lines before the head ends, and so must the fast path, by handing
// them over). `head` is the head without its final CRLF, or all bytes when incomplete; `block` is
// set to the field lines.
bool splitStartLine(std::string_view head, bool complete, std::string_view& line,
                    std::string_view& block) {
  const auto lineEnd = head.find(kCrlf);
  if (lineEnd == std::string_view::npos) {
    line = head;
    block = {};
    return !complete;
  }
  line = head.substr(0, lineEnd);
  block = head.substr(lineEnd + kCrlf.size());
  return true;
}

// A field line not yet ended: the beginning of "name:value", perhaps with the CR of its CRLF
// (or the CR of the blank line).
bool isSimplePartialField(std::string_view line) {
  bool ended = false;
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);  // only its LF is missing: the rest must be whole
    ended = true;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    return line.empty() || (!ended && net::isHttpToken(line));
  }
  return net::isHttpToken(line.substr(0, colon)) && isSimpleText(line.substr(colon + 1));
}

// The field lines between the start line and the blank line (`block` ends with the CRLF of the
// last field, or is empty; of an incomplete head, with the part of a line received so far). Each
// is "name:value" with a token name; a line starting with a space (obsolete folding) or holding
// a bare CR or LF is not simple.
bool parseFields(std::string_view block, bool complete, std::vector<SimpleField>& fields) {
  fields.clear();
  while (!block.empty()) {
    const auto eol = block.find(kCrlf);
    if (eol == std::string_view::npos) {
      return !complete && isSimplePartialField(block);
    }
    const std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + kCrlf.size());
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || fields.size() == kMaxSimpleFields) {
      return false;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (!net::isHttpToken(name) || !isSimpleText(value)) {
      return false;
    }
    fields.push_back(SimpleField{name, trimOws(value)});
  }
  return true;
}

// Connection: only one field, saying only "close" or "keep-alive" (other tokens name fields the
// hop must drop, which Beast's path handles).
bool readConnection(std::string_view value, bool& seen, bool& keepAlive) {
  if (seen) {
    return false;
  }
  seen = true;
  if (net::equalsIgnoreCase(value, "close")) {
    keepAlive = false;
    return true;
  }
  return net::equalsIgnoreCase(value, "keep-alive");
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// method SP target SP "HTTP/1.1" — or, while the line has not ended (`ended` false), a beginning
// of one.
bool isSimpleRequestLine(std::string_view line, bool ended) {
  if (!ended && !line.empty() && line.back() == '\r') {
    line.remove_suffix(1);  // only its LF is missing: the rest must be whole
    ended = true;
  }
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) {
    return !ended && (line.empty() || net::isHttpToken(line));
  }
  if (sp1 == 0 || !net::isHttpToken(line.substr(0, sp1))) {
    return false;
  }
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    const auto target = line.substr(sp1 + 1);
    return !ended && (target.empty() || isSimpleTarget(target));
  }
  constexpr std::string_view kVersion = "HTTP/1.1";
  const auto version = line.substr(sp2 + 1);
  return isSimpleTarget(line.substr(sp1 + 1, sp2 - sp1 - 1)) &&
         (ended ? version == kVersion : kVersion.substr(0, version.size()) == version);
}

// "HTTP/1.1" SP 3DIGIT SP reason, the status not informational and the reason not empty (it is
// forwarded as it is) — or, while the line has not ended, a beginning of one.
bool isSimpleStatusLine(std::string_view line, bool ended) {
  if (!ended && !line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
    ended = true;
  }
  constexpr std::string_view kShape = "HTTP/1.1 ddd ";
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    if (i == line.size()) {
      return !ended;
    }
    if (kShape[i] == 'd' ? !isDigit(line[i]) : line[i] != kShape[i]) {
      return false;
    }
  }
  if (line[9] < '2') {
    return false;  // informational answers come before the real one: Beast's path skips them
  }
  const auto reason = line.substr(kShape.size());
  if (!ended) {
    return reason.empty() || (isSimpleText(reason) && !isOws(reason.front()));
  }
  return !reason.empty() && isSimpleText(reason) && !isOws(reason.front()) && !isOws(reason.back());
}

// The start line and the fields, checked as far as they have arrived (`startLineOk` says whether
// a start line, ended or not, is simple). kSimple: the head is complete (`size` set); kIncomplete:
// what arrived is simple so far; `line` and `fields` are filled either way.
SimpleHead readLines(std::string_view bytes, std::size_t maxHeadBytes,
                     bool (*startLineOk)(std::string_view, bool), std::string_view& line,
                     std::vector<SimpleField>& fields, std::size_t& size) {
  const SimpleHead found = findHead(bytes, maxHeadBytes, size);
  if (found == SimpleHead::kNotSimple) {
    return found;
  }
  const bool complete = found == SimpleHead::kSimple;
  std::string_view block;
  if (!splitStartLine(complete ? bytes.substr(0, size - kCrlf.size()) : bytes, complete, line,
                      block) ||
      !startLineOk(line, complete || bytes.find(kCrlf) != std::string_view::npos) ||
      !parseFields(block, complete, fields)) {
    return SimpleHead::kNotSimple;
  }
  return found;
}

}  // namespace

SimpleHead parseSimpleRequestHead(std::string_view bytes, std::size_t maxHeadBytes,
                                  SimpleRequestHead& out) {
  std::size_t size = 0;
  std::string_view line;
  const SimpleHead found =
      readLines(bytes, maxHeadBytes, isSimpleRequestLine, line, out.fields, size);
  if (found == SimpleHead::kNotSimple) {
    return found;
  }
  const bool complete = found == SimpleHead::kSimple;
  // The fields received so far are checked even before the head ends (Beast checks them as they
  // come).
  bool keepAlive = true;
  bool connectionSeen = false;
  bool lengthSeen = false;
  for (const auto& field : out.fields) {
    const auto name = field.name;
    if (net::equalsIgnoreCase(name, "content-length")) {
      // No body: the fast path forwards heads only.
      if (lengthSeen || field.value != "0") {
        return SimpleHead::kNotSimple;
      }
      lengthSeen = true;
    } else if (net::equalsIgnoreCase(name, "transfer-encoding") ||
               net::equalsIgnoreCase(name, "expect") || net::equalsIgnoreCase(name, "upgrade")) {
      return SimpleHead::kNotSimple;
    } else if (net::equalsIgnoreCase(name, "connection")) {
      if (!readConnection(field.value, connectionSeen, keepAlive)) {
        return SimpleHead::kNotSimple;
      }
    }
  }
  if (!complete) {
    return SimpleHead::kIncomplete;
  }
  const auto sp1 = line.find(' ');
  const auto sp2 = line.find(' ', sp1 + 1);
  out.size = size;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.keepAlive = keepAlive;
  return SimpleHead::kSimple;
}

SimpleHead parseSimpleResponseHead(std::string_view bytes, std::size_t maxHeadBytes,
                                   bool headRequest, SimpleResponseHead& out) {
  std::size_t size = 0;
  std::string_view line;
  const SimpleHead found =
      readLines(bytes, maxHeadBytes, isSimpleStatusLine, line, out.fields, size);
  if (found == SimpleHead::kNotSimple) {
    return found;
  }
  const bool complete = found == SimpleHead::kSimple;
  // The fields received so far are checked even before the head ends (Beast checks them as they
  // come).
  bool keepAlive = true;
  bool connectionSeen = false;
  bool lengthSeen = false;
  std::uint64_t length = 0;
  for (const auto& field : out.fields) {
    const auto name = field.name;
    if (net::equalsIgnoreCase(name, "content-length")) {
      const auto value = field.value;
      if (lengthSeen || value.empty() || value.size() > 18) {
        return SimpleHead::kNotSimple;
      }
      for (const char c : value) {
        if (!isDigit(c)) {
          return SimpleHead::kNotSimple;
        }
        length = length * 10 + static_cast<std::uint64_t>(c - '0');
      }
      lengthSeen = true;
    } else if (net::equalsIgnoreCase(name, "transfer-encoding")) {
      return SimpleHead::kNotSimple;
    } else if (net::equalsIgnoreCase(name, "connection")) {
      if (!readConnection(field.value, connectionSeen, keepAlive)) {
        return SimpleHead::kNotSimple;
      }
    }
  }
  if (!complete) {
    return SimpleHead::kIncomplete;
  }
  const unsigned status =
      static_cast<unsigned>((line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0'));
  if (status == 204 || status == 304) {
    // No body whatever a length would say; one that says something is left to Beast.
    if (lengthSeen) {
      return SimpleHead::kNotSimple;
    }
    length = 0;
  } else if (headRequest) {
    length = 0;
  } else if (!lengthSeen) {
    return SimpleHead::kNotSimple;  // until the server closes
  }
  out.size = size;
  out.status = status;
  out.reason = line.substr(13);
  out.bodyLength = length;
  out.keepAlive = keepAlive;
  return SimpleHead::kSimple;
}

}  // namespace tessera::edge
