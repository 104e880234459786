// The address a redirected connection was originally sent to: after an iptables/nftables
// REDIRECT (or DNAT) to the edge's transparent listener, the kernel's connection tracking still
// knows the workload's real destination, and getsockopt(SO_ORIGINAL_DST) (IPv4) or
// IP6T_SO_ORIGINAL_DST (IPv6) returns it. Linux only. Called by HttpProxy for every connection
// its transparent listener accepts.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "common/result.hpp"

namespace tessera::edge {

// kIo naming the errno when the kernel has no original destination (no conntrack entry: the
// connection was not redirected and conntrack is not loaded).
Result<boost::asio::ip::tcp::endpoint> originalDestination(boost::asio::ip::tcp::socket& socket);

}  // namespace tessera::edge
