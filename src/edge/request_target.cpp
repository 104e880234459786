#include "edge/request_target.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "common/host_name.hpp"

namespace tessera::edge {
namespace {

constexpr std::size_t kMaxPortDigits = 5;
constexpr std::uint16_t kHttpDefaultPort = 80;

// The message never repeats the target: its query may carry a token, and its bytes are the
// client's (control characters included) while the message ends up in logs and responses.
Error badTarget(std::string_view why) {
  return fail(ErrorCode::kHttpBadRequest, "invalid request-target: " + std::string(why));
}

bool isAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char toLowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return toLowerAscii(x) == toLowerAscii(y);
         });
}

// A subset of RFC 3986's reg-name: what DNS and our leaf certificates can carry. Sub-delims and
// percent-escapes are legal URI syntax but never name a host a proxy could reach.
bool isRegNameChar(char c) {
  return isAsciiAlpha(c) || isAsciiDigit(c) || c == '-' || c == '.' || c == '_';
}

Result<void> checkBytes(std::string_view target) {
  if (target.empty()) {
    return badTarget("empty");
  }
  if (target.size() > kMaxRequestTargetBytes) {
    return badTarget("longer than " + std::to_string(kMaxRequestTargetBytes) + " bytes");
  }
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto u = static_cast<unsigned char>(target[i]);
    if (u <= 0x20 || u >= 0x7f) {
      return badTarget("space, control or non-ASCII byte at offset " + std::to_string(i));
    }
  }
  if (target.find('#') != std::string_view::npos) {
    return badTarget("a fragment ('#') is not sent to a server");
  }
  return {};
}

Result<std::uint16_t> parsePort(std::string_view text) {
  if (text.empty()) {
    return badTarget("empty port after ':'");
  }
  if (text.size() > kMaxPortDigits || !std::all_of(text.begin(), text.end(), isAsciiDigit)) {
    return badTarget("the port must be 1 to 65535 in decimal digits");
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value == 0 || value > 65535) {
    return badTarget("the port must be 1 to 65535 in decimal digits");
  }
  return static_cast<std::uint16_t>(value);
}

Result<std::string> parseIpv6Literal(std::string_view inside) {
  if (!inside.empty() && (inside.front() == 'v' || inside.front() == 'V')) {
    return badTarget("IPvFuture literals are not supported");
  }
  if (inside.find('%') != std::string_view::npos) {
    // RFC 6874 zone identifiers only mean something on the client's own host.
    return badTarget("IPv6 zone identifiers are not allowed");
  }
  std::string host(inside);
  in6_addr address{};
  if (host.empty() || inet_pton(AF_INET6, host.c_str(), &address) != 1) {
    return badTarget("bad IPv6 address in brackets");
  }
  std::transform(host.begin(), host.end(), host.begin(), toLowerAscii);
  return host;
}

Result<std::string> parseNameOrIpv4(std::string_view text) {
  if (text.empty()) {
    return badTarget("empty host");
  }
  if (text.size() > kMaxHostNameBytes) {
    return badTarget("host longer than " + std::to_string(kMaxHostNameBytes) + " bytes");
  }
  if (!std::all_of(text.begin(), text.end(), isRegNameChar)) {
    return badTarget("the host may only hold letters, digits, '-', '_' and '.'");
  }
  std::string host(text);
  std::transform(host.begin(), host.end(), host.begin(), toLowerAscii);
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return host;
  }
  switch (checkHostName(host)) {
    case HostNameFault::kNone:
      break;
    case HostNameFault::kEmptyLabel:
      return badTarget("empty label in the host (leading, trailing or double '.')");
    case HostNameFault::kLongLabel:
      return badTarget("a host label is longer than " + std::to_string(kMaxHostLabelBytes) +
                       " bytes");
    case HostNameFault::kBadCharacter:
      return badTarget("the host may only hold letters, digits, '-', '_' and '.'");
    case HostNameFault::kNumeric:
      // inet_aton and browsers read "127.1", "0x7f.1" or "017.0.0.1" as addresses while RFC 3986
      // calls them names; refusing them keeps the proxy and the resolver from disagreeing.
      return badTarget("numeric host that is not a dotted-quad IPv4 address");
  }
  return host;
}

// host [":" port]; the port is required for CONNECT and defaults to 80 in absolute-form.
Result<Authority> parseAuthority(std::string_view text, bool portRequired) {
  if (text.find('@') != std::string_view::npos) {
    return badTarget("userinfo ('user@') is not allowed");
  }
  Authority authority;
  std::string_view portText;
  bool hasPort = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return badTarget("unterminated IPv6 literal ('[' without ']')");
    }
    TESSERA_ASSIGN_OR_RETURN(authority.host, parseIpv6Literal(text.substr(1, close - 1)));
    const auto after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return badTarget("unexpected characters after the IPv6 literal");
      }
      hasPort = true;
      portText = after.substr(1);
    }
  } else {
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return badTarget("an IPv6 address must be in brackets ('[::1]:443')");
    }
    if (text.find_first_of("[]") != std::string_view::npos) {
      return badTarget("brackets only enclose a whole IPv6 address");
    }
    TESSERA_ASSIGN_OR_RETURN(authority.host, parseNameOrIpv4(text.substr(0, colon)));
    if (colon != std::string_view::npos) {
      hasPort = true;
      portText = text.substr(colon + 1);
    }
  }
  if (hasPort) {
    TESSERA_ASSIGN_OR_RETURN(authority.port, parsePort(portText));
  } else if (portRequired) {
    return badTarget("CONNECT needs host:port (the port is missing)");
  } else {
    authority.port = kHttpDefaultPort;
  }
  return authority;
}

}  // namespace

Result<AbsoluteTarget> parseAbsoluteTarget(std::string_view target) {
  TESSERA_RETURN_IF_ERROR(checkBytes(target));
  if (target.front() == '/') {
    return badTarget("a proxy needs the absolute-form (http://host/path), not a path");
  }
  const auto colon = target.find(':');
  const auto scheme = target.substr(0, colon);
  if (colon == std::string_view::npos || scheme.empty() || !isAsciiAlpha(scheme.front())) {
    return badTarget("not an absolute URI (http://host/path)");
  }
  if (equalsIgnoreCase(scheme, "https")) {
    return badTarget(
        "https:// in absolute-form is not proxied; clients send CONNECT host:443 for https");
  }
  if (!equalsIgnoreCase(scheme, "http")) {
    return badTarget("the scheme must be http");
  }
  auto rest = target.substr(colon + 1);
  if (!rest.starts_with("//")) {
    return badTarget("http: must be followed by //host");
  }
  rest.remove_prefix(2);
  const auto authorityEnd = rest.find_first_of("/?");
  TESSERA_DECLARE_OR_RETURN(auto authority,
                            parseAuthority(rest.substr(0, authorityEnd), /*portRequired=*/false));
  AbsoluteTarget out;
  out.scheme = "http";
  out.authority = std::move(authority);
  const auto pathAndQuery =
      authorityEnd == std::string_view::npos ? std::string_view() : rest.substr(authorityEnd);
  // RFC 9112 3.2.1: an empty path is sent as "/" in origin-form, also before a query.
  if (pathAndQuery.empty() || pathAndQuery.front() == '?') {
    out.originForm = "/";
  }
  out.originForm += pathAndQuery;
  return out;
}

Result<Authority> parseAuthorityTarget(std::string_view target) {
  TESSERA_RETURN_IF_ERROR(checkBytes(target));
  if (target.find_first_of("/?") != std::string_view::npos) {
    return badTarget("CONNECT takes host:port only (no scheme, path or query)");
  }
  return parseAuthority(target, /*portRequired=*/true);
}

std::string formatAuthority(const Authority& authority) {
  const bool ipv6 = authority.host.find(':') != std::string::npos;
  std::string out;
  out.reserve(authority.host.size() + 8);
  if (ipv6) {
    out += '[';
    out += authority.host;
    out += ']';
  } else {
    out += authority.host;
  }
  out += ':';
  out += std::to_string(authority.port);
  return out;
}

}  // namespace tessera::edge
