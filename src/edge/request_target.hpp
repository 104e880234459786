// Request-target parsing for the edge's explicit proxy (RFC 9112 section 3.2): the absolute-form
// of a proxied HTTP request ("http://host:port/path?q") and the authority-form of CONNECT
// ("host:port"). Pure and fuzzed: the bytes come straight from the network.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tessera::edge {

inline constexpr std::size_t kMaxRequestTargetBytes = 8192;

struct Authority {
  std::string host;  // lower-case name or IP literal; IPv6 without brackets
  std::uint16_t port = 0;
};

struct AbsoluteTarget {
  std::string scheme;      // "http" (a proxy only sees https inside CONNECT)
  Authority authority;     // port defaults to 80
  std::string originForm;  // "/path?query"; "/" when the target has no path
};

// kHttpBadRequest naming the problem: not http://, userinfo, fragment, empty or invalid host,
// bad or zero port, control characters or spaces, longer than kMaxRequestTargetBytes.
Result<AbsoluteTarget> parseAbsoluteTarget(std::string_view target);

// CONNECT's "host:port" (the port is required; "[v6]:port" for IPv6). Same errors.
Result<Authority> parseAuthorityTarget(std::string_view target);

// "host:port" for a Host header or a log line; IPv6 in brackets.
std::string formatAuthority(const Authority& authority);

}  // namespace tessera::edge
