// DeadlineSweeper: time limits for socket operations, one timer per worker thread instead of one
// per operation. beast::tcp_stream arms and cancels a timer around every operation (a timer-queue
// insert and removal, a clock read, a composed operation on top, and the cancelled wait's own
// completion); here an operation only stores a deadline, and the worker's sweep, every tick,
// cancels the operations whose deadline has passed. Deadlines are coarse: an operation ends
// between `timeout` and `timeout` plus two ticks after it starts. Used by the hub's HTTP server
// and the edge's explicit proxy. Not thread-safe: a sweeper and its watches belong to one worker
// thread (each keeps one per worker).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>

namespace tessera::net {

class DeadlineSweeper {
 public:
  using Clock = std::chrono::steady_clock;

  // One connection's watch over the operation it waits on; unlinks itself when destroyed.
  class Watch {
   public:
    explicit Watch(DeadlineSweeper& sweeper);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

    // The next operation on `socket` must end within `timeout`, or the sweep cancels it
    // (it completes with operation_aborted, and timedOut() says why).
    void arm(boost::asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout);
    // The operation ended: nothing to cancel (call before any other use of the socket).
    void disarm() { socket_ = nullptr; }
    // The last armed operation was cancelled by the sweep.
    bool timedOut() const { return timedOut_; }

   private:
    friend class DeadlineSweeper;
    DeadlineSweeper& sweeper_;
    boost::asio::ip::tcp::socket* socket_ = nullptr;
    Clock::time_point deadline_{};
    bool timedOut_ = false;
    Watch* prev_ = nullptr;
    Watch* next_ = nullptr;
  };

  // `tick`: how often the owner calls sweep().
  explicit DeadlineSweeper(std::chrono::milliseconds tick, Clock::time_point now = Clock::now());
  DeadlineSweeper(const DeadlineSweeper&) = delete;
  DeadlineSweeper& operator=(const DeadlineSweeper&) = delete;

  std::chrono::milliseconds tick() const { return tick_; }
  // Advances the sweeper's clock to `now` and cancels every armed operation past its deadline.
  // Returns how many were cancelled.
  std::size_t sweep(Clock::time_point now);
  std::size_t watches() const { return watches_; }

 private:
  std::chrono::milliseconds tick_;
  Clock::time_point now_;
  Watch* first_ = nullptr;
  std::size_t watches_ = 0;
};

}  // namespace tessera::net
