// CompletionGate: lets coroutines on any executor (and thread) wait until one leader says a piece
// of work is done — the building block of single-flight caches (the edge's grant cache). Waiters
// resume on their own executors; opening twice is harmless.
//
//   auto gate = std::make_shared<CompletionGate>();
//   // leader:   ...do the work...; gate->open();
//   // waiters:  co_await gate->wait(boost::asio::use_awaitable);
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace tessera::net {

class CompletionGate {
 public:
  template <typename Token>
  auto wait(Token&& token) {
    return boost::asio::async_initiate<Token, void()>(
        [this](auto handler) {
          auto executor = boost::asio::get_associated_executor(handler);
          auto parked = std::make_shared<decltype(handler)>(std::move(handler));
          std::function<void()> resume = [executor, parked]() {
            boost::asio::post(executor, [parked]() { std::move (*parked)(); });
          };
          std::unique_lock lock(mutex_);
          if (open_) {
            lock.unlock();
            resume();
            return;
          }
          waiters_.push_back(std::move(resume));
        },
        token);
  }

  void open() {
    std::vector<std::function<void()>> waiters;
    {
      std::lock_guard lock(mutex_);
      open_ = true;
      waiters.swap(waiters_);
    }
    for (auto& resume : waiters) {
      resume();
    }
  }

  bool isOpen() const {
    std::lock_guard lock(mutex_);
    return open_;
  }

 private:
  mutable std::mutex mutex_;
  bool open_ = false;
  std::vector<std::function<void()>> waiters_;
};

}  // namespace tessera::net
