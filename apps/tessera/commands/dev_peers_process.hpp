// DevPeersProcess: the child process `tessera dev` starts beside the hub and the edge (moto, the
// STS front and the development OIDC issuer: tests/standins/dev_peers.py, development stand-ins).
// Spawned with python3, it announces itself with one "READY {json}" line on stdout; it gets
// SIGTERM when `tessera dev` stops and also when `tessera dev` dies (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tessera::cli {

class DevPeersProcess {
 public:
  // Runs `python3 SCRIPT ARGS...` and waits up to `timeout` for its READY line, whose JSON it
  // returns through ready(). kUnavailable (with the child's last stderr lines) when it exits or
  // stays silent.
  static Result<DevPeersProcess> start(const std::string& script,
                                       const std::vector<std::string>& args,
                                       std::chrono::seconds timeout);
  DevPeersProcess(DevPeersProcess&& other) noexcept;
  DevPeersProcess& operator=(DevPeersProcess&&) = delete;
  DevPeersProcess(const DevPeersProcess&) = delete;
  ~DevPeersProcess();

  const nlohmann::json& ready() const { return ready_; }
  // SIGTERM, then SIGKILL after 15 s; idempotent.
  void stop();

 private:
  DevPeersProcess(pid_t pid, nlohmann::json ready) : pid_(pid), ready_(std::move(ready)) {}
  pid_t pid_ = -1;
  nlohmann::json ready_;
};

}  // namespace tessera::cli
