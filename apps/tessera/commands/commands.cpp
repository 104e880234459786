#include "commands/commands.hpp"

namespace tessera::cli {

void registerAll(CLI::App& app, int& exitCode) {
  (void)app;
  (void)exitCode;
}

}  // namespace tessera::cli
