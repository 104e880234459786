// libFuzzer target for the transparent listener's ClientHello sniffer: the input is the first
// bytes of a redirected connection. Nothing may crash or read out of bounds; the verdict is
// stable as bytes arrive (a prefix of a complete ClientHello never says kNotTls or errors), and
// a server name, when found, is a lower-case host name the leaf cache can be asked for.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "edge/tls_client_hello.hpp"

namespace {

using namespace tessera;
using namespace tessera::edge;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto info = parseClientHello(input);
  if (!info.ok()) {
    check(info.error().code == ErrorCode::kInvalidArgument && !info.error().message.empty());
    check(!input.empty() && static_cast<std::uint8_t>(input[0]) == 22);
    return 0;
  }
  if (info->status == ClientHelloStatus::kNotTls) {
    check(!input.empty() && static_cast<std::uint8_t>(input[0]) != 22);
  }
  if (info->serverName) {
    check(info->status == ClientHelloStatus::kComplete);
    const auto& name = *info->serverName;
    check(!name.empty() && name.size() <= 253 && name.back() != '.');
    for (const char c : name) {
      check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_');
    }
  }
  if (info->status == ClientHelloStatus::kComplete) {
    // More bytes after a complete ClientHello change nothing.
    std::string longer(input);
    longer += "\x17\x03\x03";
    const auto again = parseClientHello(longer);
    check(again.ok() && again->status == ClientHelloStatus::kComplete &&
          again->serverName == info->serverName);
  } else if (info->status == ClientHelloStatus::kNeedMore && !input.empty()) {
    // Every shorter prefix also needed more.
    const auto shorter = parseClientHello(input.substr(0, input.size() - 1));
    check(shorter.ok() && shorter->status == ClientHelloStatus::kNeedMore);
  }
  return 0;
}
