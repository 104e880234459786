// libFuzzer target for the explicit proxy's request-target parsers: the input is a request-target
// as it arrives on the request line. Nothing may crash; whatever parses is canonical enough that
// printing it and parsing again gives the same host and port (the proxy logs, dials and writes
// Host headers from the printed form), and the parts keep the shape the header promises.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "edge/request_target.hpp"

namespace {

using namespace tessera;
using namespace tessera::edge;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

bool sameAuthority(const Authority& a, const Authority& b) {
  return a.host == b.host && a.port == b.port;
}

// A parsed host: non-empty, no upper case, no byte that could end a header line or a URI part.
void checkHost(const std::string& host) {
  check(!host.empty() && host.size() <= 253);
  for (const char c : host) {
    const auto u = static_cast<unsigned char>(c);
    check(u > 0x20 && u < 0x7f);
    check(!(c >= 'A' && c <= 'Z'));
    check(c != '/' && c != '?' && c != '#' && c != '@' && c != '[' && c != ']' && c != '%');
  }
}

void checkAuthority(const Authority& authority) {
  checkHost(authority.host);
  check(authority.port != 0);
  const std::string printed = formatAuthority(authority);
  const auto again = parseAuthorityTarget(printed);
  check(again.ok() && sameAuthority(*again, authority));
  check(formatAuthority(*again) == printed);
  // The same authority in absolute-form parses to the same, with "/" as the origin-form.
  const auto absolute = parseAbsoluteTarget("http://" + printed);
  check(absolute.ok() && sameAuthority(absolute->authority, authority) &&
        absolute->originForm == "/");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (const auto authority = parseAuthorityTarget(input); authority.ok()) {
    check(input.size() <= kMaxRequestTargetBytes);
    checkAuthority(*authority);
  } else {
    check(authority.error().code == ErrorCode::kHttpBadRequest);
    check(!authority.error().message.empty());
  }

  if (const auto target = parseAbsoluteTarget(input); target.ok()) {
    check(input.size() <= kMaxRequestTargetBytes);
    check(target->scheme == "http");
    checkAuthority(target->authority);
    const auto& origin = target->originForm;
    check(!origin.empty() && origin.front() == '/');
    check(origin.find('#') == std::string::npos);
    for (const char c : origin) {
      const auto u = static_cast<unsigned char>(c);
      check(u > 0x20 && u < 0x7f);
    }
    // The origin-form is the input's own path and query: at most one "/" is added.
    check(origin.size() <= input.size() && input.find(origin.substr(1)) != std::string_view::npos);
    // Re-assembled from its parts, the target parses to the same parts (unless the explicit
    // ":80" or the added "/" pushed it past the length limit).
    const std::string reassembled = "http://" + formatAuthority(target->authority) + origin;
    if (reassembled.size() <= kMaxRequestTargetBytes) {
      const auto again = parseAbsoluteTarget(reassembled);
      check(again.ok() && sameAuthority(again->authority, target->authority) &&
            again->originForm == origin);
    }
  } else {
    check(target.error().code == ErrorCode::kHttpBadRequest);
    check(!target.error().message.empty());
  }
  return 0;
}
