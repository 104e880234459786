#include "net/shutdown_signal.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>

#include "common/log.hpp"

namespace tessera::net {

struct ShutdownSignal::Impl {
  boost::asio::io_context ioc{1};
  boost::asio::signal_set signals{ioc, SIGINT, SIGTERM};
};

ShutdownSignal::ShutdownSignal() : impl_(std::make_unique<Impl>()) {}
ShutdownSignal::~ShutdownSignal() = default;

int ShutdownSignal::wait(std::optional<std::chrono::milliseconds> timeout) {
  int received = 0;
  impl_->ioc.restart();
  impl_->signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (!ec) {
      received = signal;
    }
  });
  if (timeout) {
    impl_->ioc.run_for(*timeout);
    if (received == 0) {
      boost::system::error_code ignored;
      impl_->signals.cancel(ignored);
      impl_->ioc.restart();
      impl_->ioc.run();  // completes the cancelled wait
    }
  } else {
    impl_->ioc.run();
  }
  return received;
}

int runUntilShutdownSignal(HttpServer& server, std::chrono::milliseconds drain) {
  ShutdownSignal signal;
  const int received = signal.wait();
  spdlog::info("signal {} received; draining for up to {} ms", received, drain.count());
  server.stop(drain);
  return received;
}

}  // namespace tessera::net
