// Simple HTTP heads: the explicit proxy's fast path reads request and response heads itself when
// they have the common, unambiguous shape — HTTP/1.1, CRLF line ends, token names, values of
// visible ASCII, spaces and tabs, no request body (or "Content-Length: 0"), a response framed by
// one Content-Length (or without a body), no Transfer-Encoding, Expect or Upgrade, and a
// Connection field that says only "close" or "keep-alive". Anything else is kNotSimple and the
// proxy hands the untouched bytes to Beast's full parser, which answers what this reader does not
// handle (errors included). So this reader accepts a strict subset of what Beast accepts and must
// read it exactly as Beast does: a differential test and the simple_http_head fuzz target hold it
// to that. Pure: no I/O, no allocation beyond the caller's field vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tessera::edge {

enum class SimpleHead {
  kIncomplete,  // no end of head yet ("\r\n\r\n"), and the limit is not reached
  kSimple,      // parsed
  kNotSimple,   // for Beast's parser (which may well accept it)
};

// At most this many fields in a simple head.
inline constexpr std::size_t kMaxSimpleFields = 100;

struct SimpleField {
  std::string_view name;   // a token, as sent
  std::string_view value;  // without leading and trailing spaces and tabs
};

// Views into the parsed bytes: valid while they are.
struct SimpleRequestHead {
  std::size_t size = 0;  // bytes of the head, the blank line included
  std::string_view method;
  std::string_view target;
  std::vector<SimpleField> fields;  // in order, Host and hop-by-hop fields included
  bool keepAlive = true;            // no "Connection: close"
};

struct SimpleResponseHead {
  std::size_t size = 0;
  unsigned status = 0;  // 200-999 (informational answers are not simple)
  std::string_view reason;
  std::vector<SimpleField> fields;
  std::uint64_t bodyLength = 0;  // what follows the head (0 for HEAD, 204, 304)
  bool keepAlive = true;
};

// `bytes` from the start of a request; a head larger than `maxHeadBytes` is not simple (Beast
// answers 431). kIncomplete exactly when Beast's parser would also wait for more bytes.
SimpleHead parseSimpleRequestHead(std::string_view bytes, std::size_t maxHeadBytes,
                                  SimpleRequestHead& out);

// `bytes` from the start of a response to a request with method HEAD when `headRequest`.
SimpleHead parseSimpleResponseHead(std::string_view bytes, std::size_t maxHeadBytes,
                                   bool headRequest, SimpleResponseHead& out);

}  // namespace tessera::edge
