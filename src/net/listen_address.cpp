#include "net/listen_address.hpp"

#include <charconv>
#include <string>

namespace tessera::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

Result<tcp::endpoint> resolveBindAddress(asio::io_context& ioc, std::string_view bind) {
  std::string_view host;
  std::string_view portText;
  if (!bind.empty() && bind.front() == '[') {
    const auto close = bind.find(']');
    if (close == std::string_view::npos || close + 1 >= bind.size() || bind[close + 1] != ':') {
      return makeError(ErrorCode::kConfigInvalid, "bad bind address: " + std::string(bind));
    }
    host = bind.substr(1, close - 1);
    portText = bind.substr(close + 2);
  } else {
    const auto colon = bind.rfind(':');
    if (colon == std::string_view::npos || bind.substr(0, colon).find(':') != std::string::npos) {
      return makeError(ErrorCode::kConfigInvalid,
                       "bad bind address (want host:port or [ipv6]:port): " + std::string(bind));
    }
    host = bind.substr(0, colon);
    portText = bind.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, perr] =
      std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (perr != std::errc() || end != portText.data() + portText.size() || portText.empty() ||
      port > 65535) {
    return makeError(ErrorCode::kConfigInvalid, "bad port in bind address: " + std::string(bind));
  }
  if (host.empty() || host == "*") {
    host = "0.0.0.0";
  }
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    return tcp::endpoint(address, static_cast<std::uint16_t>(port));
  }
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, portText, ec);
  if (ec || results.empty()) {
    return makeError(ErrorCode::kConfigInvalid,
                     "cannot resolve bind host " + std::string(host) + ": " +
                         (ec ? ec.message() : std::string("no address")));
  }
  return results.begin()->endpoint();
}

Result<tcp::acceptor> listenOn(asio::io_context& ioc, const asio::any_io_executor& executor,
                               std::string_view bind, int backlog) {
  auto endpoint = resolveBindAddress(ioc, bind);
  if (!endpoint) {
    return std::move(endpoint).error();
  }
  tcp::acceptor acceptor(executor);
  error_code ec;
  auto failWith = [&](std::string_view what) {
    return makeError(ErrorCode::kIo,
                     std::string(what) + " " + std::string(bind) + ": " + ec.message());
  };
  if (acceptor.open(endpoint->protocol(), ec); ec) {
    return failWith("cannot open a socket for");
  }
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return failWith("cannot set SO_REUSEADDR for");
  }
  if (acceptor.bind(*endpoint, ec); ec) {
    return failWith("cannot bind");
  }
  if (acceptor.listen(backlog, ec); ec) {
    return failWith("cannot listen on");
  }
  return acceptor;
}

}  // namespace tessera::net
