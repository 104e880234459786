#include "commands/commands.hpp"

namespace tessera::cli {

void registerAll(CLI::App& app, int& exitCode) {
  registerHubCommands(app, exitCode);
  registerDevCommands(app, exitCode);
  registerEdgeCommands(app, exitCode);
  registerTokenCommands(app, exitCode);
  registerConfigCommands(app, exitCode);
  registerAdminCommands(app, exitCode);
  registerReferenceCommands(app, exitCode);
  registerOpenApiCommand(app, exitCode);
  registerCredentialsCommands(app, exitCode);
}

}  // namespace tessera::cli
