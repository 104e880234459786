// How CLI commands that act on a hub's store find it: `--config hub.yaml`, or `--data-dir DIR`
// for the development hub that `tessera dev` runs.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "commands/report_error.hpp"
#include "common/result.hpp"
#include "hub/hub_config.hpp"
#include "hub/key_manager.hpp"
#include "store/store.hpp"

namespace tessera::cli {

struct HubLocation {
  std::string configPath;
  std::string dataDir;
  // Adds --config and --data-dir (mutually exclusive) to `command`.
  void addOptions(CLI::App* command);
  Result<hub::HubConfig> load() const;
};

// The hub's store opened directly from its configuration, for commands run on the hub's host.
struct OpenedStore {
  store::Store store;
  hub::HubConfig config;
};
Result<OpenedStore> openStore(const HubLocation& location);

// The store plus a KeyManager (needs the key-encryption key).
struct OpenedKeys {
  store::Store store;
  std::unique_ptr<hub::KeyManager> keys;
  hub::HubConfig config;
};
Result<OpenedKeys> openKeys(const HubLocation& location);

}  // namespace tessera::cli
