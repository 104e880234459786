// tessera edge: the data plane beside a workload, from edge.yaml.
#include <iostream>

#include "commands/commands.hpp"
#include "commands/hub_context.hpp"
#include "common/log.hpp"
#include "edge/edge.hpp"

namespace tessera::cli {

void registerEdgeCommands(CLI::App& app, int& exitCode) {
  auto* edgeCmd = app.add_subcommand(
      "edge",
      "Run an edge (data plane): explicit proxy, PostgreSQL listeners and cloud-SDK metadata "
      "endpoints that inject the hub's grants");
  auto configPath = std::make_shared<std::string>();
  edgeCmd->add_option("--config", *configPath, "Path of edge.yaml")->required();
  auto check = std::make_shared<bool>(false);
  edgeCmd->add_flag("--check", *check, "Validate edge.yaml and exit");
  edgeCmd->callback([configPath, check, &exitCode] {
    auto config = edge::loadEdgeConfig(*configPath);
    if (!config) {
      exitCode = reportError(config.error());
      return;
    }
    if (*check) {
      std::cout << *configPath << " is valid\n";
      return;
    }
    if (auto logging = initLogging(config->logLevel, config->logFormat); !logging) {
      exitCode = reportError(logging.error());
      return;
    }
    auto edge = edge::Edge::create(std::move(*config));
    if (!edge) {
      exitCode = reportError(edge.error());
      return;
    }
    if (auto started = (*edge)->start(); !started) {
      exitCode = reportError(started.error());
      return;
    }
    (*edge)->runUntilSignal();
  });
}

}  // namespace tessera::cli
