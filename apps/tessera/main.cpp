// tessera: the one binary. Each subcommand is registered by a commands/*.cpp unit.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "commands/commands.hpp"
#include "common/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Tessera: workload identity and access. Workloads reach clouds, SaaS and "
      "databases with short-lived credentials, never static secrets.",
      "tessera"};
  app.footer(
      "apply, diff, get, delete and export manage configuration through the hub's admin API: "
      "the hub is --hub, $TESSERA_HUB or `hub:` in ~/.config/tessera/cli.yaml; the admin token "
      "--token-file, $TESSERA_TOKEN or `tokenFile:` there. See docs/operations.md.");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tessera ") + tessera::kVersion);

  auto* version = app.add_subcommand("version", "Print the version of this binary");
  version->callback(
      [] { std::cout << "tessera " << tessera::kVersion << " (" << tessera::kBuildType << ")\n"; });

  int exitCode = 0;
  tessera::cli::registerAll(app, exitCode);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exitCode;
}
