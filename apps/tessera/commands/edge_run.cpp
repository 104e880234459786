#include "commands/edge_run.hpp"

#include <iostream>

#include "commands/report_error.hpp"
#include "common/log.hpp"
#include "edge/edge.hpp"

namespace tessera::cli {

int runEdge(const std::string& configPath, bool checkOnly) {
  auto config = edge::loadEdgeConfig(configPath);
  if (!config) {
    return reportError(config.error());
  }
  if (checkOnly) {
    std::cout << configPath << " is valid\n";
    return 0;
  }
  if (auto logging = initLogging(config->logLevel, config->logFormat); !logging) {
    return reportError(logging.error());
  }
  auto edge = edge::Edge::create(std::move(*config));
  if (!edge) {
    return reportError(edge.error());
  }
  if (auto started = (*edge)->start(); !started) {
    return reportError(started.error());
  }
  (*edge)->runUntilSignal();
  return 0;
}

}  // namespace tessera::cli
