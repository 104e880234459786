#include "net/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace tessera::net {
namespace {

Error invalid(std::string_view text, std::string_view why) {
  // URLs may carry tokens in their query; keep the message to the reason and a short prefix.
  std::string shown(text.substr(0, std::min<std::size_t>(text.find('?'), 64)));
  return makeError(ErrorCode::kInvalidArgument, "invalid URL " + shown + ": " + std::string(why));
}

bool isIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool isIpv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool isHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

}  // namespace

bool Url::ipLiteral() const {
  return ipv6() || isIpv4(host);
}

std::string Url::authority() const {
  std::string out = ipv6() ? "[" + host + "]" : host;
  if (!defaultPort()) {
    out += ":" + std::to_string(port);
  }
  return out;
}

std::string Url::toString() const {
  return scheme + "://" + authority() + target;
}

Result<Url> parseUrl(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return invalid(text, "contains a space, control or non-ASCII character");
    }
  }
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    return invalid(text, "not an absolute URL");
  }
  Url url;
  url.scheme = std::string(text.substr(0, sep));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  if (url.scheme != "http" && url.scheme != "https") {
    return invalid(text, "scheme must be http or https");
  }
  auto rest = text.substr(sep + 3);
  const auto authorityEnd = rest.find_first_of("/?#");
  auto authority = rest.substr(0, authorityEnd);
  rest = authorityEnd == std::string_view::npos ? std::string_view() : rest.substr(authorityEnd);
  if (authority.find('@') != std::string_view::npos) {
    return invalid(text, "userinfo is not allowed");
  }
  std::string_view portText;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return invalid(text, "unterminated IPv6 literal");
    }
    url.host = std::string(authority.substr(1, close - 1));
    if (!isIpv6(url.host)) {
      return invalid(text, "bad IPv6 literal");
    }
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return invalid(text, "junk after IPv6 literal");
      }
      portText = after.substr(1);
      if (portText.empty()) {
        return invalid(text, "empty port");
      }
    }
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      portText = authority.substr(colon + 1);
      if (portText.empty()) {
        return invalid(text, "empty port");
      }
    }
    std::transform(url.host.begin(), url.host.end(), url.host.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
    if (url.host.empty()) {
      return invalid(text, "empty host");
    }
    if (!std::all_of(url.host.begin(), url.host.end(), isHostNameChar) || url.host.front() == '.' ||
        url.host.find("..") != std::string::npos) {
      return invalid(text, "bad host name");
    }
  }
  if (!portText.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || end != portText.data() + portText.size() || port == 0 ||
        port > 65535) {
      return invalid(text, "bad port");
    }
    url.port = static_cast<std::uint16_t>(port);
  } else {
    url.port = url.https() ? 443 : 80;
  }
  rest = rest.substr(0, rest.find('#'));
  url.target = std::string(rest);
  if (url.target.empty() || url.target.front() == '?') {
    url.target.insert(0, "/");
  }
  return url;
}

Result<Url> resolveUrl(const Url& base, std::string_view reference) {
  if (reference.find("://") != std::string_view::npos) {
    return parseUrl(reference);
  }
  if (reference.starts_with("//")) {
    return parseUrl(base.scheme + ":" + std::string(reference));
  }
  std::string target;
  if (reference.starts_with("/")) {
    target = std::string(reference);
  } else if (reference.starts_with("?")) {
    target = base.target.substr(0, base.target.find('?')) + std::string(reference);
  } else {
    auto path = base.target.substr(0, base.target.find('?'));
    target = path.substr(0, path.rfind('/') + 1) + std::string(reference);
  }
  return parseUrl(base.scheme + "://" + base.authority() + target);
}

bool Url::loopback() const {
  if (host == "localhost" || host == "::1") {
    return true;
  }
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

}  // namespace tessera::net
