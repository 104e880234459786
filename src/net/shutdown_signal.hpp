// ShutdownSignal: waits for SIGTERM/SIGINT so that `tessera hub` and `tessera edge` can stop their
// HttpServer gracefully (see runUntilShutdownSignal). Used by the apps' main loops.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "net/http_server.hpp"

namespace tessera::net {

// Waits for SIGTERM or SIGINT. The signals are caught from construction on, so a signal that
// arrives before wait() is not lost. Used by `tessera hub` / `tessera edge` main loops.
class ShutdownSignal {
 public:
  ShutdownSignal();
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Blocks until a signal arrives (returns its number) or until `timeout`, if given (returns 0).
  int wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Blocks until SIGTERM/SIGINT, then stops `server` gracefully with `drain`. Returns the signal.
int runUntilShutdownSignal(HttpServer& server,
                           std::chrono::milliseconds drain = std::chrono::seconds(10));

}  // namespace tessera::net
