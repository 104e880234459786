// Development mode (`tessera dev`, `make dev`): a hub configuration made from a data directory
// and a loopback listen address, with a development key-encryption key generated in the data
// directory on first run. Never for production: the KEK sits next to the data it protects.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "hub/admin_tokens.hpp"
#include "hub/hub_config.hpp"

namespace tessera::hub {

struct DevSetup {
  HubConfig config;
  std::filesystem::path configPath;  // DATA_DIR/hub.yaml, the configuration dev mode runs
  bool createdKek = false;           // first run: a new development KEK was written
};

// First start: creates an admin-role token, writes it to DATA_DIR/admin-token (mode 0600) and
// returns it. Later starts (the file exists): returns nullopt and creates nothing.
Result<std::optional<std::string>> ensureDevAdminToken(const std::filesystem::path& dataDir,
                                                       AdminTokens& tokens);

// The same for any role and file: `tessera dev` keeps the development edge's token this way.
Result<std::optional<std::string>> ensureDevToken(const std::filesystem::path& file,
                                                  AdminTokens& tokens, AdminRole role,
                                                  const std::string& description);

// Fails unless `listen` is a loopback address with an explicit port (dev mode serves plain HTTP).
Result<DevSetup> prepareDevMode(const std::filesystem::path& dataDir, const std::string& listen);

}  // namespace tessera::hub
