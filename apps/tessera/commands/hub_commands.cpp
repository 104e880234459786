// tessera hub, tessera dev, tessera keys {rotate,list}.
#include <iostream>
#include <memory>
#include <optional>

#include "commands/commands.hpp"
#include "commands/hub_context.hpp"
#include "common/log.hpp"
#include "common/time_format.hpp"
#include "hub/dev_mode.hpp"
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

void printDevBanner(const hub::DevSetup& setup, const std::optional<std::string>& newAdminToken) {
  const auto& c = setup.config;
  std::cout << "\n"
            << "  Tessera hub (development mode)\n"
            << "  ------------------------------\n"
            << "  Hub         " << c.issuer << "\n"
            << "  Discovery   " << c.issuer << "/.well-known/openid-configuration\n"
            << "  JWKS        " << c.issuer << "/jwks\n"
            << "  Health      " << c.issuer << "/healthz   " << c.issuer << "/readyz\n"
            << "  Metrics     " << c.issuer << "/metrics\n"
            << "  Data        " << c.sqlitePath.parent_path().string() << "\n"
            << "  Admin token "
            << (newAdminToken ? *newAdminToken + "  (new; also in " : std::string("in "))
            << (c.sqlitePath.parent_path() / "admin-token").string() << (newAdminToken ? ")" : "")
            << "\n"
            << "\n"
            << "  Try:  curl -s " << c.issuer << "/jwks\n"
            << "        tessera token sign --data-dir " << c.sqlitePath.parent_path().string()
            << " --sub demo --aud sts.amazonaws.com | tessera token inspect -\n"
            << "        tessera keys list --data-dir " << c.sqlitePath.parent_path().string()
            << "\n\n"
            << "  Ctrl-C stops the hub; a second run reuses the data directory.\n\n"
            << std::flush;
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

  auto* dev = app.add_subcommand(
      "dev", "Run a development hub on the embedded SQLite store (plain HTTP, loopback only)");
  auto dataDir = std::make_shared<std::string>("./.tessera-dev");
  auto listen = std::make_shared<std::string>("127.0.0.1:8080");
  dev->add_option("--data-dir", *dataDir, "Where the hub keeps its data")->capture_default_str();
  dev->add_option("--listen", *listen, "Loopback HOST:PORT to serve on")->capture_default_str();
  dev->callback([dataDir, listen, &exitCode] {
    (void)initLogging("info");
    auto setup = hub::prepareDevMode(*dataDir, *listen);
    if (!setup) {
      exitCode = reportError(setup.error());
      return;
    }
    spdlog::warn(
        "DEVELOPMENT MODE: the key-encryption key is {} beside the data it protects, and the hub "
        "serves plain HTTP. Never use development mode for real workloads.",
        setup->config.kek.file->string());
    if (setup->createdKek) {
      spdlog::warn("created a new development key-encryption key at {}",
                   setup->config.kek.file->string());
    }
    auto hub = hub::Hub::create(setup->config);
    if (!hub) {
      exitCode = reportError(hub.error());
      return;
    }
    if (auto started = (*hub)->start(); !started) {
      exitCode = reportError(started.error());
      return;
    }
    auto adminToken =
        hub::ensureDevAdminToken(setup->config.sqlitePath.parent_path(), (*hub)->adminTokens());
    if (!adminToken) {
      exitCode = reportError(adminToken.error());
      return;
    }
    printDevBanner(*setup, *adminToken);
    (*hub)->runUntilSignal();
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
