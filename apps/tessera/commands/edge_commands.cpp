// tessera edge: the data plane beside a workload, from edge.yaml.
#include "commands/commands.hpp"
#include "commands/edge_run.hpp"

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
  edgeCmd->callback([configPath, check, &exitCode] { exitCode = runEdge(*configPath, *check); });
}

}  // namespace tessera::cli
