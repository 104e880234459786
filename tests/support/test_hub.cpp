#include "test_hub.hpp"

#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "postgres_server.hpp"

namespace tessera::testing {

hub::HubConfig testHubConfig(const std::string& name, const std::string& store,
                             const std::filesystem::path& dir) {
  std::string kekEnv = "TESSERA_TEST_KEK_";
  for (char c : name) {
    kekEnv +=
        std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  }
  ::setenv(kekEnv.c_str(), crypto::KeyEncryptionKey::generate().toText().c_str(), 1);
  hub::HubConfig config;
  config.issuer = "https://hub." + name + ".test";
  config.server.listen = "127.0.0.1:0";
  config.server.threads = 2;
  config.kek.env = kekEnv;
  if (store == "postgres") {
    config.postgresUrl = PostgresServer::shared().createDatabase();
  } else {
    std::filesystem::create_directories(dir);
    config.sqlitePath = dir / "hub.db";
  }
  return config;
}

std::unique_ptr<hub::Hub> startTestHub(const hub::HubConfig& config, const Clock& clock) {
  auto hub = hub::Hub::create(config, clock);
  if (!hub) {
    throw std::runtime_error(hub.error().describe());
  }
  if (auto started = (*hub)->start(); !started) {
    throw std::runtime_error(started.error().describe());
  }
  return std::move(*hub);
}

}  // namespace tessera::testing
