// The rule for DNS host names where Tessera names a host on the wire and in certificates: the
// edge's request targets (edge/request_target) and the leaf certificates its CA issues
// (crypto/edge_ca). One rule in one place, so that what the proxy accepts and what it can
// certify cannot drift apart. Each caller words the fault for its own error.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera {

inline constexpr std::size_t kMaxHostNameBytes = 253;
inline constexpr std::size_t kMaxHostLabelBytes = 63;

enum class HostNameFault {
  kNone,
  kEmptyLabel,    // a leading, trailing or double '.'
  kLongLabel,     // a label longer than kMaxHostLabelBytes
  kBadCharacter,  // a byte other than a-z, 0-9, '-' and '_' in a label
  kNumeric,       // the last label is all digits or starts with 0x: an address to resolvers
};

// Checks a lower-case name (the caller has lowered it, and has recognised IP addresses before):
// dot-separated labels of 1 to 63 bytes of a-z, 0-9, '-' and '_' ('_' is not RFC 1123 but real
// internal names carry it), whose last label is not read as a number by inet_aton and browsers
// ("127.1", "0x7f.1"). The length of the whole name is the caller's to check.
HostNameFault checkHostName(std::string_view lowerName);

}  // namespace tessera
