// tessera reference: prints the configuration objects' field reference (Markdown) generated from
// the hub's schemas; docs/reference/objects.md is this output, kept equal by a test.
#include <iostream>

#include "commands/commands.hpp"
#include "model/spec_reference.hpp"

namespace tessera::cli {

void registerReferenceCommands(CLI::App& app, int& /*exitCode*/) {
  auto* reference = app.add_subcommand(
      "reference", "Print the field reference of every configuration kind and type (Markdown)");
  reference->callback(
      [] { std::cout << model::renderSpecReference(model::SpecRegistry::builtin()) << "\n"; });
}

}  // namespace tessera::cli
