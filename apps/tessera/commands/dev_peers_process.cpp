#include "commands/dev_peers_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace tessera::cli {

namespace {

constexpr std::size_t kMaxReadyLine = 64 * 1024;

void closeFd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

Result<DevPeersProcess> DevPeersProcess::start(const std::string& script,
                                               const std::vector<std::string>& args,
                                               std::chrono::seconds timeout) {
  if (::access(script.c_str(), R_OK) != 0) {
    return fail(ErrorCode::kInvalidArgument,
                "--peers: cannot read " + script + ": " + std::strerror(errno));
  }
  int out[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return fail(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<std::string> argv{"python3", script};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    closeFd(out[0]);
    closeFd(out[1]);
    return fail(ErrorCode::kInternal, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The child: stdout into the pipe, stderr shared (its progress lines reach the terminal).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) {
      ::_exit(1);
    }
    ::dup2(out[1], STDOUT_FILENO);
    ::execvp("python3", cargv.data());
    ::_exit(127);
  }
  closeFd(out[1]);
  DevPeersProcess process(pid, nullptr);
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      closeFd(out[0]);
      return fail(ErrorCode::kUnavailable, script + " did not report READY within " +
                                               std::to_string(timeout.count()) + " s");
    }
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    char buffer[4096];
    const ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n <= 0) {
      closeFd(out[0]);
      return fail(ErrorCode::kUnavailable,
                  script + " exited before it was ready (its messages are above)");
    }
    line.append(buffer, static_cast<std::size_t>(n));
    if (line.size() > kMaxReadyLine) {
      closeFd(out[0]);
      return fail(ErrorCode::kUnavailable, script + ": its READY line is too long");
    }
    const auto end = line.find('\n');
    if (end == std::string::npos) {
      continue;
    }
    const std::string first = line.substr(0, end);
    closeFd(out[0]);
    constexpr std::string_view kReady = "READY ";
    if (!first.starts_with(kReady)) {
      return fail(ErrorCode::kUnavailable, script + ": expected a READY line first");
    }
    auto ready = nlohmann::json::parse(first.substr(kReady.size()), nullptr, false);
    if (!ready.is_object() || !ready.contains("substitutions") ||
        !ready["substitutions"].is_object()) {
      return fail(ErrorCode::kUnavailable,
                  script + ": READY: not a JSON object with substitutions");
    }
    process.ready_ = std::move(ready);
    return process;
  }
}

DevPeersProcess::DevPeersProcess(DevPeersProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), ready_(std::move(other.ready_)) {}

DevPeersProcess::~DevPeersProcess() {
  stop();
}

void DevPeersProcess::stop() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 150; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace tessera::cli
