// In-process hubs for tests and benchmarks: a configuration on a loopback port chosen by the
// kernel, a fresh key-encryption key, and the SQLite file in a given directory or a new database
// on the shared test PostgreSQL server. Throws std::runtime_error naming the cause, so a test
// never runs against a half-started hub.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "hub/hub.hpp"

namespace tessera::testing {

// `store` is "sqlite" (the file dir/hub.db) or "postgres" (a new database). `name` makes the
// issuer and the KEK's environment variable unique to the caller.
hub::HubConfig testHubConfig(const std::string& name, const std::string& store,
                             const std::filesystem::path& dir);

std::unique_ptr<hub::Hub> startTestHub(const hub::HubConfig& config,
                                       const Clock& clock = SystemClock::instance());

}  // namespace tessera::testing
