#include "conditions/network_condition.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "conditions/spec_access.hpp"

namespace tessera::conditions {

namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool isMapped(const std::array<std::uint8_t, 16>& v6) {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), v6.begin());
}

void clearHostBits(IpAddress& address, int prefix) {
  const int bits = address.v4 ? 32 : 128;
  for (int bit = prefix; bit < bits; ++bit) {
    address.bytes[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
}

// At most this many blocks are listed in a reason; the rest are counted.
constexpr std::size_t kListedBlocks = 4;

std::string blocksText(const std::vector<CidrBlock>& blocks) {
  std::string out;
  for (std::size_t i = 0; i < blocks.size() && i < kListedBlocks; ++i) {
    out += (i == 0 ? "" : ", ") + blocks[i].toString();
  }
  if (blocks.size() > kListedBlocks) {
    out += " and " + std::to_string(blocks.size() - kListedBlocks) + " more";
  }
  return out;
}

Result<std::vector<CidrBlock>> blocksAt(const nlohmann::json& spec, const std::string& key) {
  TESSERA_DECLARE_OR_RETURN(const auto texts, detail::stringsAt(spec, key, "/spec"));
  std::vector<CidrBlock> blocks;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto block = parseCidr(texts[i]);
    if (!block) {
      return detail::specError("/spec/" + key + "/" + std::to_string(i), block.error().message);
    }
    blocks.push_back(*block);
  }
  return blocks;
}

}  // namespace

std::string IpAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

std::optional<IpAddress> parseIpAddress(std::string_view text) {
  // inet_pton needs a NUL-terminated string; anything longer than an address is not one.
  // An embedded NUL would end the string early and pass a prefix of it.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != text.npos) {
    return std::nullopt;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress address;
  if (::inet_pton(AF_INET, buf, address.bytes.data()) == 1) {
    address.v4 = true;
    return address;
  }
  if (::inet_pton(AF_INET6, buf, address.bytes.data()) != 1) {
    return std::nullopt;
  }
  if (isMapped(address.bytes)) {
    IpAddress v4;
    v4.v4 = true;
    std::copy(address.bytes.begin() + 12, address.bytes.end(), v4.bytes.begin());
    return v4;
  }
  return address;
}

bool CidrBlock::contains(const IpAddress& address) const noexcept {
  if (address.v4 != network.v4) {
    return false;
  }
  const auto fullBytes = static_cast<std::size_t>(prefix / 8);
  if (!std::equal(network.bytes.begin(), network.bytes.begin() + fullBytes,
                  address.bytes.begin())) {
    return false;
  }
  const int rest = prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
  return (address.bytes[fullBytes] & mask) == network.bytes[fullBytes];
}

std::string CidrBlock::toString() const {
  return network.toString() + "/" + std::to_string(prefix);
}

Result<CidrBlock> parseCidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "must be a CIDR block like 10.0.0.0/8");
  }
  const auto prefixText = text.substr(slash + 1);
  // Digits only: from_chars alone would take "-0".
  if (prefixText.empty() || prefixText.size() > 3 ||
      !std::all_of(prefixText.begin(), prefixText.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return fail(ErrorCode::kInvalidArgument, "has an invalid prefix length");
  }
  int prefix = 0;
  std::from_chars(prefixText.data(), prefixText.data() + prefixText.size(), prefix);

  // Parse the address without the IPv4-mapped folding first, so the prefix is checked against
  // the family it was written in.
  const auto addressText = text.substr(0, slash);
  if (addressText.empty() || addressText.size() >= INET6_ADDRSTRLEN ||
      addressText.find('\0') != addressText.npos) {
    return fail(ErrorCode::kInvalidArgument, "has an invalid address");
  }
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, addressText.data(), addressText.size());
  CidrBlock block;
  if (::inet_pton(AF_INET, buf, block.network.bytes.data()) == 1) {
    block.network.v4 = true;
    if (prefix > 32) {
      return fail(ErrorCode::kInvalidArgument, "has an invalid prefix length (0-32)");
    }
  } else if (::inet_pton(AF_INET6, buf, block.network.bytes.data()) == 1) {
    if (prefix > 128) {
      return fail(ErrorCode::kInvalidArgument, "has an invalid prefix length (0-128)");
    }
    if (prefix >= 96 && isMapped(block.network.bytes)) {
      IpAddress v4;
      v4.v4 = true;
      std::copy(block.network.bytes.begin() + 12, block.network.bytes.end(), v4.bytes.begin());
      block.network = v4;
      prefix -= 96;
    }
  } else {
    return fail(ErrorCode::kInvalidArgument, "has an invalid address");
  }
  block.prefix = prefix;
  clearHostBits(block.network, prefix);
  return block;
}

Result<std::unique_ptr<const Condition>> NetworkCondition::compile(const nlohmann::json& spec) {
  TESSERA_DECLARE_OR_RETURN(auto allow, blocksAt(spec, "allow"));
  TESSERA_DECLARE_OR_RETURN(auto deny, blocksAt(spec, "deny"));
  if (allow.empty() && deny.empty()) {
    return detail::specError("/spec", "needs allow or deny");
  }
  return std::unique_ptr<const Condition>(
      std::make_unique<NetworkCondition>(std::move(allow), std::move(deny)));
}

NetworkCondition::NetworkCondition(std::vector<CidrBlock> allow, std::vector<CidrBlock> deny)
    : allow_(std::move(allow)), deny_(std::move(deny)) {}

ConditionOutcome NetworkCondition::evaluate(const ConditionContext& context) const {
  ConditionOutcome outcome;
  outcome.passed = false;
  if (!context.sourceIp || context.sourceIp->empty()) {
    outcome.reason = "no source address in the request context";
    return outcome;
  }
  const auto address = parseIpAddress(*context.sourceIp);
  if (!address) {
    outcome.reason =
        "source address " + detail::quoted(*context.sourceIp) + " is not an IP address";
    return outcome;
  }
  const std::string source = "source " + *context.sourceIp;
  for (const auto& block : deny_) {
    if (block.contains(*address)) {
      outcome.reason = source + " is in denied block " + block.toString();
      return outcome;
    }
  }
  if (allow_.empty()) {
    outcome.passed = true;
    outcome.reason = source + " is in no denied block (" + blocksText(deny_) + ")";
    return outcome;
  }
  for (const auto& block : allow_) {
    if (block.contains(*address)) {
      outcome.passed = true;
      outcome.reason = source + " is in allowed block " + block.toString();
      return outcome;
    }
  }
  outcome.reason = source + " is in no allowed block (" + blocksText(allow_) + ")";
  return outcome;
}

}  // namespace tessera::conditions
