// RequestHead: one HTTP/1.1 request line and header block as the edge's proxy forwards it, after
// the proxy has turned an absolute-form target into origin-form. Injectors rewrite it in place
// before it goes upstream.
#pragma once

#include <string>

#include "net/http_types.hpp"

namespace tessera::edge {

struct RequestHead {
  std::string method;
  std::string target;     // origin-form: "/path?query"
  unsigned version = 11;  // 10 or 11
  net::Headers headers;   // Host is present
};

}  // namespace tessera::edge
