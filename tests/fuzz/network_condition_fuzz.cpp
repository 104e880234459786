// libFuzzer target for the network condition's address and CIDR parsing and matching: the input
// is "<block>\n<address>". Nothing may crash; a parsed block prints to a form that parses back
// to itself and contains its own network address; a parsed address prints back to itself; the
// condition built from the block agrees with CidrBlock::contains.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "conditions/network_condition.hpp"

namespace {

using namespace tessera;
using namespace tessera::conditions;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const auto blockText = input.substr(0, newline);
  const auto addressText =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  const auto address = parseIpAddress(addressText);
  if (address) {
    const auto again = parseIpAddress(address->toString());
    check(again && again->v4 == address->v4 && again->bytes == address->bytes);
  }

  const auto block = parseCidr(blockText);
  if (!block) {
    return 0;
  }
  check(block->prefix >= 0 && block->prefix <= (block->network.v4 ? 32 : 128));
  const auto canonical = parseCidr(block->toString());
  check(canonical && canonical->toString() == block->toString());
  check(block->contains(block->network));

  auto condition = NetworkCondition::compile(
      nlohmann::json{{"type", "network"}, {"deny", nlohmann::json::array({block->toString()})}});
  check(condition.ok());
  ConditionContext context;
  context.sourceIp = std::string(addressText);
  const auto outcome = (*condition)->evaluate(context);
  check(!outcome.reason.empty());
  check(outcome.passed == (address && !block->contains(*address)));
  return 0;
}
