// RequestHead: one HTTP/1.1 request line and header block as the edge's proxy forwards it, after
// the proxy has turned an absolute-form target into origin-form. Injectors rewrite it in place
// before it goes upstream; the proxy serializes it for the server.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "net/http_types.hpp"

namespace tessera::edge {

struct RequestHead {
  std::string method;
  std::string target;     // origin-form: "/path?query"
  unsigned version = 11;  // 10 or 11
  net::Headers headers;   // Host is present
};

// The head as HTTP/1.1 bytes for the server ("GET /x HTTP/1.1\r\nName: value\r\n...\r\n"),
// appended to `out`. With `contentLength`, every Content-Length and Transfer-Encoding field of
// the head is replaced by "Content-Length: n". kHttpUpstream naming the field when a method,
// target, name or value could not be sent as it is (a token character is wrong, or CR, LF or NUL
// in a value): an injected credential must never split a header.
Result<void> appendRequestHead(std::string& out, const RequestHead& head,
                               std::optional<std::size_t> contentLength);

}  // namespace tessera::edge
