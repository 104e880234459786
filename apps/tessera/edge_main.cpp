// tessera-edge: the edge alone, for sidecars and hosts that run no hub. The same data plane as
// `tessera edge`, in a binary that links only the edge (no store, no SQLite or PostgreSQL client,
// no policy engine): smaller on disk and in memory beside every workload.
#include <openssl/crypto.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "commands/edge_run.hpp"
#include "common/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Tessera edge: explicit proxy, PostgreSQL listeners and cloud-SDK metadata endpoints that "
      "inject the hub's grants (the same as `tessera edge`).",
      "tessera-edge"};
  // The OpenSSL it runs with: linked statically into the sidecar (TESSERA_STATIC_EDGE), so an
  // OpenSSL security update means rebuilding it, and operators need to see which one is inside.
  app.set_version_flag("--version", std::string("tessera-edge ") + tessera::kVersion + " (" +
                                        OpenSSL_version(OPENSSL_VERSION) + ")");
  std::string configPath;
  app.add_option("--config", configPath, "Path of edge.yaml")->required();
  bool check = false;
  app.add_flag("--check", check, "Validate edge.yaml and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return tessera::cli::runEdge(configPath, check);
}
