#include "commands/hub_context.hpp"

#include <iostream>

#include "hub/hub.hpp"

namespace tessera::cli {

void HubLocation::addOptions(CLI::App* command) {
  auto* config = command->add_option("--config", configPath, "The hub's configuration file");
  auto* data = command->add_option("--data-dir", dataDir,
                                   "The data directory of a development hub (tessera dev)");
  config->excludes(data);
}

Result<hub::HubConfig> HubLocation::load() const {
  if (!configPath.empty()) {
    return hub::loadHubConfig(configPath);
  }
  const std::filesystem::path dir = dataDir.empty() ? "./.tessera-dev" : dataDir;
  if (!std::filesystem::exists(dir / "hub.yaml")) {
    return fail(ErrorCode::kConfigInvalid, (dir / "hub.yaml").string() +
                                               " does not exist: start `tessera dev --data-dir " +
                                               dir.string() + "` once, or pass --config");
  }
  return hub::loadHubConfig(dir / "hub.yaml");
}

Result<OpenedStore> openStore(const HubLocation& location) {
  OpenedStore opened;
  TESSERA_ASSIGN_OR_RETURN(opened.config, location.load());
  TESSERA_ASSIGN_OR_RETURN(opened.store, hub::openConfiguredStore(opened.config));
  return opened;
}

Result<OpenedKeys> openKeys(const HubLocation& location) {
  auto base = openStore(location);
  if (!base) {
    return std::move(base).error();
  }
  OpenedKeys opened;
  opened.config = std::move(base->config);
  opened.store = std::move(base->store);
  auto kek = hub::loadKek(opened.config.kek);
  if (!kek) {
    return std::move(kek).error();
  }
  opened.keys = std::make_unique<hub::KeyManager>(opened.store.signingKeys, std::move(*kek),
                                                  opened.config.keys, SystemClock::instance());
  TESSERA_RETURN_IF_ERROR(opened.keys->refresh(true));
  return opened;
}

}  // namespace tessera::cli
