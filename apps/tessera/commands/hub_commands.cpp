// tessera hub, tessera keys {rotate,list}.
#include <iostream>
#include <memory>
#include <optional>

#include "commands/commands.hpp"
#include "commands/hub_context.hpp"
#include "common/log.hpp"
#include "common/time_format.hpp"
#include "hub/hub.hpp"
#include "hub/key_schedule.hpp"

namespace tessera::cli {

namespace {

int runHub(hub::HubConfig config) {
  auto hub = hub::Hub::create(std::move(config));
  if (!hub) {
    return reportError(hub.error());
  }
  if (auto started = (*hub)->start(); !started) {
    return reportError(started.error());
  }
  (*hub)->runUntilSignal();
  return 0;
}

}  // namespace

void registerHubCommands(CLI::App& app, int& exitCode) {
  auto* hubCmd = app.add_subcommand("hub", "Run the hub (control plane) from a configuration file");
  auto configPath = std::make_shared<std::string>();
  hubCmd->add_option("--config", *configPath, "Path of hub.yaml")->required();
  hubCmd->callback([configPath, &exitCode] {
    auto config = hub::loadHubConfig(*configPath);
    if (!config) {
      exitCode = reportError(config.error());
      return;
    }
    if (auto logging = initLogging(config->logLevel, config->logFormat); !logging) {
      exitCode = reportError(logging.error());
      return;
    }
    exitCode = runHub(std::move(*config));
  });

  auto* keys = app.add_subcommand("keys", "Manage the hub's token-signing keys");
  keys->require_subcommand(1);
  auto location = std::make_shared<HubLocation>();
  auto* rotate = keys->add_subcommand(
      "rotate",
      "Create the next signing key of every algorithm; it is published at once and signs after "
      "keys.prepublish. Running hubs pick it up within a second.");
  location->addOptions(rotate);
  rotate->callback([location, &exitCode] {
    auto opened = openKeys(*location);
    if (!opened) {
      exitCode = reportError(opened.error());
      return;
    }
    auto created = opened->keys->rotateNow();
    if (!created) {
      exitCode = reportError(created.error());
      return;
    }
    if (created->empty()) {
      std::cout << "every algorithm already has a next key waiting; nothing to do\n";
    }
    for (const auto& p : *created) {
      std::cout << p.algorithm << ": next key signs from " << formatUnixRfc3339(p.activatesAt);
      if (p.retiresKid) {
        std::cout << "; " << *p.retiresKid << " retires then and leaves the JWKS at "
                  << formatUnixRfc3339(*p.retiringRemoveAt);
      }
      std::cout << "\n";
    }
  });

  auto* list = keys->add_subcommand("list", "List the signing keys and their states");
  auto listLocation = std::make_shared<HubLocation>();
  listLocation->addOptions(list);
  list->callback([listLocation, &exitCode] {
    auto opened = openKeys(*listLocation);
    if (!opened) {
      exitCode = reportError(opened.error());
      return;
    }
    const std::int64_t now = toUnixSeconds(SystemClock::instance().now());
    std::cout << "KID                                          ALG    STATE     SIGNS FROM"
                 "            RETIRES               REMOVED\n";
    for (const auto& r : opened->keys->snapshot()->records()) {
      std::string line = r.kid;
      line.resize(45, ' ');
      line += r.algorithm + "  ";
      std::string state(hub::keyStateName(hub::keyStateAt(r, now)));
      state.resize(10, ' ');
      line += state + formatUnixRfc3339(r.activatesAt) + "  ";
      line +=
          (r.retiresAt ? formatUnixRfc3339(*r.retiresAt) : std::string("-").append(19, ' ')) + "  ";
      line += r.removeAt ? formatUnixRfc3339(*r.removeAt) : "-";
      std::cout << line << "\n";
    }
  });
}

}  // namespace tessera::cli
