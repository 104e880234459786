// AccessCondition type "network": source CIDR allow and deny lists, IPv4 and IPv6. Compiled by
// compileCondition; the address and CIDR parsing here is also used by the GeoIP lookup and the
// fuzz target (tests/fuzz/network_condition_fuzz.cpp).
//
// Semantics: deny wins over allow; with only a deny list everything not denied passes; a missing
// or unparseable source address fails closed. An IPv4-mapped IPv6 source (::ffff:10.1.2.3) is
// the IPv4 address it carries, and an IPv6 block inside ::ffff:0:0/96 is the IPv4 block it maps,
// so both spellings meet. Otherwise the families stay apart: ::/0 matches every IPv6 source but no
// IPv4 one, so "deny ::/0" does not deny IPv4 callers. A block with host bits set
// (10.1.2.3/8) is normalised to its network (10.0.0.0/8) rather than refused: validation accepts
// it, and refusing at compile time would break a configuration that was already applied.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conditions/condition.hpp"

namespace tessera::conditions {

struct IpAddress {
  bool v4 = false;
  // IPv4 in the first 4 bytes, the rest zero; IPv6 in all 16.
  std::array<std::uint8_t, 16> bytes{};

  std::string toString() const;
};

// A literal IPv4 or IPv6 address (no zone id, no brackets, no port); IPv4-mapped IPv6 becomes
// IPv4.
std::optional<IpAddress> parseIpAddress(std::string_view text);

struct CidrBlock {
  IpAddress network;  // host bits cleared
  int prefix = 0;     // 0-32 for IPv4, 0-128 for IPv6

  bool contains(const IpAddress& address) const noexcept;
  std::string toString() const;  // canonical, e.g. "10.0.0.0/8", "2001:db8::/32"
};

// "10.0.0.0/8", "2001:db8::/32"; host bits are cleared (see the header comment).
// kInvalidArgument when `text` is not a block.
Result<CidrBlock> parseCidr(std::string_view text);

class NetworkCondition final : public Condition {
 public:
  static Result<std::unique_ptr<const Condition>> compile(const nlohmann::json& spec);

  NetworkCondition(std::vector<CidrBlock> allow, std::vector<CidrBlock> deny);

  ConditionOutcome evaluate(const ConditionContext& context) const override;

 private:
  std::vector<CidrBlock> allow_;
  std::vector<CidrBlock> deny_;
};

}  // namespace tessera::conditions
