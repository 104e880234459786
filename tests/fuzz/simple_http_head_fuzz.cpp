// libFuzzer target for the explicit proxy's simple-head reader (src/edge/simple_http_head.hpp):
// the input is the start of a request or of a response (the first byte picks which, and whether
// the response answers HEAD; the second sets the head limit). Nothing may crash, and Beast's
// parser — what the proxy falls back to — is the oracle: a simple head is one Beast reads the
// same way, an incomplete one is one Beast also waits on.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "simple_http_head_oracle.hpp"

namespace {

using namespace tessera::edge;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::uint8_t mode = data[0];
  const std::size_t limit = 16 + static_cast<std::size_t>(data[1]) * 16;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  if (mode % 3 == 0) {
    SimpleRequestHead head;
    const auto kind = parseSimpleRequestHead(bytes, limit, head);
    if (kind == SimpleHead::kSimple) {
      check(head.size <= limit && head.size <= bytes.size());
      check(testing::compareRequestWithBeast(bytes, limit, head).empty());
    } else if (kind == SimpleHead::kIncomplete) {
      check(bytes.size() < limit);
      check(testing::beastWaitsForMore<true>(bytes, limit));
    }
  } else {
    const bool headRequest = mode % 3 == 2;
    SimpleResponseHead head;
    const auto kind = parseSimpleResponseHead(bytes, limit, headRequest, head);
    if (kind == SimpleHead::kSimple) {
      check(head.size <= limit && head.size <= bytes.size());
      check(head.status >= 200 && head.status <= 999);
      check(testing::compareResponseWithBeast(bytes, limit, headRequest, head).empty());
    } else if (kind == SimpleHead::kIncomplete) {
      check(bytes.size() < limit);
      check(testing::beastWaitsForMore<false>(bytes, limit));
    }
  }
  return 0;
}
