// Url: strict parsing of the absolute http(s) URLs the HTTP client fetches (JWKS endpoints, STS,
// OIDC discovery). Rejects userinfo, other schemes and anything ambiguous. Used by HttpClient and
// by configuration validation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tessera::net {

struct Url {
  std::string scheme;      // "http" or "https", lower-case
  std::string host;        // lower-case name, IPv4 literal, or IPv6 literal without brackets
  std::uint16_t port = 0;  // explicit, or the scheme's default
  std::string target;      // path and query ("/" when the URL has no path); never a fragment

  bool https() const noexcept { return scheme == "https"; }
  bool ipv6() const noexcept { return host.find(':') != std::string::npos; }
  bool ipLiteral() const;
  bool defaultPort() const noexcept { return port == (https() ? 443 : 80); }
  // localhost, 127.0.0.0/8 or ::1: where plain http is acceptable (development, tests).
  bool loopback() const;
  // What goes in the Host header: "example.com", "example.com:8443", "[::1]:8080".
  std::string authority() const;
  // scheme://authority/target
  std::string toString() const;
};

// kInvalidArgument unless `text` is an absolute http or https URL without userinfo.
Result<Url> parseUrl(std::string_view text);

// A redirect's Location (absolute, scheme-relative, absolute-path or relative-path reference)
// resolved against `base`.
Result<Url> resolveUrl(const Url& base, std::string_view reference);

}  // namespace tessera::net
