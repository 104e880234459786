#include "edge/original_destination.hpp"

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tessera::edge {

Result<boost::asio::ip::tcp::endpoint> originalDestination(boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto local = socket.local_endpoint(ec);
  if (ec) {
    return Error{ErrorCode::kIo, "the connection has no local address: " + ec.message()};
  }
  boost::asio::ip::tcp::endpoint original;
  const bool v6 = local.address().is_v6() && !local.address().to_v6().is_v4_mapped();
  // The endpoint's storage is a sockaddr_storage-sized union: either answer fits.
  socklen_t length = static_cast<socklen_t>(original.capacity());
  const int rc =
      v6 ? ::getsockopt(socket.native_handle(), SOL_IPV6, IP6T_SO_ORIGINAL_DST, original.data(),
                        &length)
         : ::getsockopt(socket.native_handle(), SOL_IP, SO_ORIGINAL_DST, original.data(), &length);
  if (rc != 0) {
    const int error = errno;
    return Error{ErrorCode::kIo,
                 "the kernel knows no original destination for this connection (was it "
                 "redirected?): " +
                     std::string(std::strerror(error))};
  }
  original.resize(length);
  return original;
}

}  // namespace tessera::edge
