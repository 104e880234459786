#include "hub/dev_mode.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/sealing.hpp"

namespace tessera::hub {

namespace {
bool isLoopbackListen(const std::string& listen, std::string& port) {
  for (const char* host : {"127.0.0.1:", "localhost:", "[::1]:"}) {
    if (listen.starts_with(host)) {
      port = listen.substr(std::string_view(host).size());
      return !port.empty() && port.find_first_not_of("0123456789") == std::string::npos &&
             port.size() <= 5 && std::stoi(port) > 0 && std::stoi(port) < 65536;
    }
  }
  return false;
}

Result<void> writePrivateFile(const std::filesystem::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(ErrorCode::kIo, "cannot create " + path.string());
  }
  const auto written = ::write(fd, content.data(), content.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(content.size())) {
    return fail(ErrorCode::kIo, "cannot write " + path.string());
  }
  return {};
}
}  // namespace

Result<DevSetup> prepareDevMode(const std::filesystem::path& dataDir, const std::string& listen) {
  std::string port;
  if (!isLoopbackListen(listen, port)) {
    return fail(ErrorCode::kConfigInvalid,
                "--listen " + listen +
                    ": development mode serves plain HTTP and binds loopback only "
                    "(127.0.0.1:PORT, localhost:PORT or [::1]:PORT, PORT 1-65535)");
  }
  std::error_code ec;
  std::filesystem::create_directories(dataDir, ec);
  if (ec) {
    return fail(ErrorCode::kIo,
                "cannot create data directory " + dataDir.string() + ": " + ec.message());
  }
  ::chmod(dataDir.c_str(), 0700);
  const auto dir = std::filesystem::absolute(dataDir, ec);
  DevSetup setup;
  const auto kekPath = dir / "dev-kek";
  if (!std::filesystem::exists(kekPath)) {
    TESSERA_RETURN_IF_ERROR(
        writePrivateFile(kekPath, crypto::KeyEncryptionKey::generate().toText() + "\n"));
    setup.createdKek = true;
  }
  const std::string issuer =
      "http://" + (listen.starts_with("localhost:") ? "127.0.0.1:" + port : listen);
  // The configuration dev mode runs is written out as an ordinary hub.yaml: operators can read
  // it, and `--data-dir` commands (keys, token sign) load it to act on the same hub.
  const std::string yaml =
      "# Written by `tessera dev` at every start; edits are overwritten.\n"
      "issuer: " +
      issuer + "\n" + "server:\n  listen: \"" + listen + "\"\n" +
      "store:\n  sqlite:\n    path: hub.db\n" + "keyEncryptionKey:\n  file: dev-kek\n";
  const auto configPath = dir / "hub.yaml";
  std::filesystem::remove(configPath, ec);
  TESSERA_RETURN_IF_ERROR(writePrivateFile(configPath, yaml));
  auto config = loadHubConfig(configPath);
  if (!config) {
    return std::move(config).error();
  }
  setup.config = std::move(*config);
  setup.config.devMode = true;
  setup.configPath = configPath;
  return setup;
}

Result<std::optional<std::string>> ensureDevToken(const std::filesystem::path& file,
                                                  AdminTokens& tokens, AdminRole role,
                                                  const std::string& description) {
  if (std::filesystem::exists(file)) {
    return std::optional<std::string>();
  }
  auto issued = tokens.create(role, description);
  if (!issued) {
    return std::move(issued).error();
  }
  TESSERA_RETURN_IF_ERROR(writePrivateFile(file, issued->token + "\n"));
  return std::optional<std::string>(issued->token);
}

Result<std::optional<std::string>> ensureDevAdminToken(const std::filesystem::path& dataDir,
                                                       AdminTokens& tokens) {
  return ensureDevToken(dataDir / "admin-token", tokens, AdminRole::kAdmin,
                        "created by tessera dev");
}

}  // namespace tessera::hub
