// Listening sockets from "host:port" bind strings, for every listener of the hub and the edge
// (HTTP server, explicit proxy, PostgreSQL listeners): one parser, one set of error messages.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string_view>

#include "common/result.hpp"

namespace tessera::net {

// "host:port", "[v6]:port", "*:port"; port 0 picks a free port. A host name is resolved once.
// kConfigInvalid for a malformed or unresolvable address.
Result<boost::asio::ip::tcp::endpoint> resolveBindAddress(boost::asio::io_context& ioc,
                                                          std::string_view bind);

// An acceptor bound and listening on `bind` (SO_REUSEADDR). kConfigInvalid for a bad address,
// kIo naming the address when open/bind/listen fail.
Result<boost::asio::ip::tcp::acceptor> listenOn(boost::asio::io_context& ioc,
                                                const boost::asio::any_io_executor& executor,
                                                std::string_view bind, int backlog = 1024);

}  // namespace tessera::net
