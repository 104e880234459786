#include "net/deadline_sweeper.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>

namespace tessera::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Two connected loopback sockets and a read pending on the first.
struct Pair {
  asio::io_context io;
  tcp::socket reader{io};
  tcp::socket writer{io};
  std::array<char, 16> data{};
  std::optional<boost::system::error_code> result;

  Pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
  }
  void startRead() {
    reader.async_read_some(asio::buffer(data),
                           [this](boost::system::error_code ec, std::size_t) { result = ec; });
  }
  void settle() {
    io.restart();
    io.poll();
  }
};

const DeadlineSweeper::Clock::time_point kStart{std::chrono::hours(1000)};

TEST(DeadlineSweeper, CancelsAnOperationPastItsDeadlineAndSaysItTimedOut) {
  Pair pair;
  DeadlineSweeper sweeper(10ms, kStart);
  DeadlineSweeper::Watch watch(sweeper);
  watch.arm(pair.reader, 100ms);
  pair.startRead();
  pair.settle();
  EXPECT_FALSE(pair.result);
  // Never early: the sweeper's clock may lag a tick, so the deadline is a tick later.
  EXPECT_EQ(sweeper.sweep(kStart + 100ms), 0u);
  pair.settle();
  EXPECT_FALSE(pair.result);
  EXPECT_EQ(sweeper.sweep(kStart + 110ms), 1u);
  pair.settle();
  ASSERT_TRUE(pair.result);
  EXPECT_EQ(*pair.result, asio::error::operation_aborted);
  EXPECT_TRUE(watch.timedOut());
  // Cancelled once: the next sweep has nothing to do.
  EXPECT_EQ(sweeper.sweep(kStart + 1s), 0u);
}

TEST(DeadlineSweeper, AnOperationThatEndsInTimeIsLeftAlone) {
  Pair pair;
  DeadlineSweeper sweeper(10ms, kStart);
  DeadlineSweeper::Watch watch(sweeper);
  watch.arm(pair.reader, 100ms);
  pair.startRead();
  asio::write(pair.writer, asio::buffer("hello", 5));
  pair.settle();
  ASSERT_TRUE(pair.result);
  EXPECT_FALSE(*pair.result);
  watch.disarm();
  // Disarmed: the deadline passing later cancels nothing (a later operation is not hit).
  pair.result.reset();
  pair.startRead();
  EXPECT_EQ(sweeper.sweep(kStart + 1h), 0u);
  pair.settle();
  EXPECT_FALSE(pair.result);
  EXPECT_FALSE(watch.timedOut());
}

TEST(DeadlineSweeper, ArmingAgainMovesTheDeadlineFromTheSweepersClock) {
  Pair pair;
  DeadlineSweeper sweeper(10ms, kStart);
  DeadlineSweeper::Watch watch(sweeper);
  watch.arm(pair.reader, 100ms);
  EXPECT_EQ(sweeper.sweep(kStart + 50ms), 0u);
  watch.arm(pair.reader, 100ms);  // now kStart + 50ms: due at kStart + 160ms
  EXPECT_EQ(sweeper.sweep(kStart + 150ms), 0u);
  EXPECT_EQ(sweeper.sweep(kStart + 160ms), 1u);
}

TEST(DeadlineSweeper, WatchesUnlinkThemselvesInAnyOrder) {
  Pair pair;
  DeadlineSweeper sweeper(10ms, kStart);
  auto a = std::make_unique<DeadlineSweeper::Watch>(sweeper);
  auto b = std::make_unique<DeadlineSweeper::Watch>(sweeper);
  auto c = std::make_unique<DeadlineSweeper::Watch>(sweeper);
  EXPECT_EQ(sweeper.watches(), 3u);
  a->arm(pair.reader, 10ms);
  c->arm(pair.reader, 10ms);
  b.reset();  // the middle one
  EXPECT_EQ(sweeper.watches(), 2u);
  EXPECT_EQ(sweeper.sweep(kStart + 1s), 2u);
  c.reset();  // the first one in the list
  a->arm(pair.reader, 10ms);
  EXPECT_EQ(sweeper.sweep(kStart + 2s), 1u);
  a.reset();
  EXPECT_EQ(sweeper.watches(), 0u);
  EXPECT_EQ(sweeper.sweep(kStart + 3s), 0u);
}

}  // namespace
}  // namespace tessera::net
