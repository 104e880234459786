// Clock: where "now" comes from. Pure cores (jose, policy, SigV4) take a time point as an argument;
// the services hold a Clock so tests can substitute a fixed or steered one.
#pragma once

#include <atomic>
#include <chrono>

namespace tessera {

using SystemTime = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime now() const = 0;
};

class SystemClock final : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock that stands still until told to move; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SystemTime start) : now_(start.time_since_epoch().count()) {}
  SystemTime now() const override {
    return SystemTime(SystemTime::duration(now_.load(std::memory_order_relaxed)));
  }
  void set(SystemTime t) { now_.store(t.time_since_epoch().count(), std::memory_order_relaxed); }
  void advance(SystemTime::duration d) { now_.fetch_add(d.count(), std::memory_order_relaxed); }

 private:
  std::atomic<SystemTime::rep> now_;
};

inline std::int64_t toUnixSeconds(SystemTime t) {
  return std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count();
}
inline SystemTime fromUnixSeconds(std::int64_t s) {
  return SystemTime(Seconds(s));
}

}  // namespace tessera
