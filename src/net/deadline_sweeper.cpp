#include "net/deadline_sweeper.hpp"

namespace tessera::net {

DeadlineSweeper::Watch::Watch(DeadlineSweeper& sweeper) : sweeper_(sweeper) {
  next_ = sweeper_.first_;
  if (next_ != nullptr) {
    next_->prev_ = this;
  }
  sweeper_.first_ = this;
  ++sweeper_.watches_;
}

DeadlineSweeper::Watch::~Watch() {
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    sweeper_.first_ = next_;
  }
  if (next_ != nullptr) {
    next_->prev_ = prev_;
  }
  --sweeper_.watches_;
}

void DeadlineSweeper::Watch::arm(boost::asio::ip::tcp::socket& socket,
                                 std::chrono::milliseconds timeout) {
  socket_ = &socket;
  // The sweeper's clock may be up to a tick behind: a tick more, so that no operation ends early.
  deadline_ = sweeper_.now_ + timeout + sweeper_.tick_;
  timedOut_ = false;
}

DeadlineSweeper::DeadlineSweeper(std::chrono::milliseconds tick, Clock::time_point now)
    : tick_(tick), now_(now) {}

std::size_t DeadlineSweeper::sweep(Clock::time_point now) {
  now_ = now;
  std::size_t cancelled = 0;
  for (Watch* watch = first_; watch != nullptr; watch = watch->next_) {
    if (watch->socket_ != nullptr && watch->deadline_ <= now) {
      boost::system::error_code ignored;
      watch->socket_->cancel(ignored);
      watch->socket_ = nullptr;
      watch->timedOut_ = true;
      ++cancelled;
    }
  }
  return cancelled;
}

}  // namespace tessera::net
