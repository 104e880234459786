// Registration of the tessera subcommands. Each register* function adds one command group and
// sets exitCode when its command runs; main() calls registerAll().
#pragma once

#include <CLI/CLI.hpp>

namespace tessera::cli {

void registerAll(CLI::App& app, int& exitCode);

void registerHubCommands(CLI::App& app, int& exitCode);          // hub, keys
void registerDevCommands(CLI::App& app, int& exitCode);          // dev
void registerEdgeCommands(CLI::App& app, int& exitCode);         // edge
void registerTokenCommands(CLI::App& app, int& exitCode);        // token verify|inspect|sign
void registerAdminCommands(CLI::App& app, int& exitCode);        // admin token create|list|revoke
void registerReferenceCommands(CLI::App& app, int& exitCode);    // reference
void registerOpenApiCommand(CLI::App& app, int& exitCode);       // openapi (hidden)
void registerCredentialsCommands(CLI::App& app, int& exitCode);  // credentials get
// apply, diff, get, delete, export (over the admin API)
void registerConfigCommands(CLI::App& app, int& exitCode);

}  // namespace tessera::cli
