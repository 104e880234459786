// Runs an edge from edge.yaml until SIGTERM/SIGINT: what `tessera edge` and the sidecar binary
// `tessera-edge` do. Returns the exit status (1 with the error on stderr when the configuration
// is invalid or the edge cannot start). With `checkOnly`, validates edge.yaml and returns.
#pragma once

#include <string>

namespace tessera::cli {

int runEdge(const std::string& configPath, bool checkOnly);

}  // namespace tessera::cli
