// tessera openapi (hidden): prints the admin API's OpenAPI document, the same one the hub serves
// at /v1/openapi.json. `tessera openapi > docs/openapi.json` regenerates the committed copy.
#include <iostream>

#include "commands/commands.hpp"
#include "hub/openapi.hpp"

namespace tessera::cli {

void registerOpenApiCommand(CLI::App& app, int& exitCode) {
  auto* openapi = app.add_subcommand("openapi", "Print the admin API's OpenAPI document");
  openapi->group("");  // hidden: for regenerating docs/openapi.json
  openapi->callback([&exitCode] {
    const auto document =
        hub::buildOpenApiDocument(hub::adminRoutesWithoutHub(), model::SpecRegistry::builtin());
    std::cout << document.dump(2) << "\n";
    exitCode = 0;
  });
}

}  // namespace tessera::cli
