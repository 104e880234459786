#include "edge/http_head.hpp"

#include <string_view>

#include "net/http_types.hpp"

namespace tessera::edge {

namespace {
// A field value: visible characters, spaces and tabs, obs-text; never CR, LF or NUL.
bool isFieldValue(std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\r' || c == '\n' || c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f) {
      return false;
    }
  }
  return true;
}

// An origin-form or asterisk target: no spaces, controls or DEL.
bool isTarget(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}
}  // namespace

Result<void> appendRequestHead(std::string& out, const RequestHead& head,
                               std::optional<std::size_t> contentLength) {
  if (!net::isHttpToken(head.method)) {
    return Error{ErrorCode::kHttpUpstream, "the request method cannot be sent"};
  }
  if (!isTarget(head.target)) {
    return Error{ErrorCode::kHttpUpstream, "the request target cannot be sent"};
  }
  std::size_t size = head.method.size() + head.target.size() + 16;
  for (const auto& [name, value] : head.headers) {
    size += name.size() + value.size() + 4;
  }
  out.reserve(out.size() + size + 32);
  out.append(head.method).append(1, ' ').append(head.target).append(" HTTP/1.1\r\n");
  for (const auto& [name, value] : head.headers) {
    if (!net::isHttpToken(name)) {
      return Error{ErrorCode::kHttpUpstream, "a header name cannot be sent"};
    }
    if (!isFieldValue(value)) {
      return Error{ErrorCode::kHttpUpstream,
                   "header " + name + " has a character that cannot be sent (CR, LF or NUL)"};
    }
    if (contentLength && (net::equalsIgnoreCase(name, "content-length") ||
                          net::equalsIgnoreCase(name, "transfer-encoding"))) {
      continue;
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (contentLength) {
    out.append("Content-Length: ").append(std::to_string(*contentLength)).append("\r\n");
  }
  out.append("\r\n");
  return {};
}

}  // namespace tessera::edge
