// Finds the server workload a request targets, from a configuration snapshot: exact hosts by
// hash lookup, wildcard hosts by their suffix (one label, as model/host_pattern defines), so the
// cost does not grow with the number of server workloads that cannot match. An exact host wins
// over a wildcard; among equals the name decides, so the choice is stable. Built once per
// snapshot; used by the access pipeline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/config_snapshot.hpp"

namespace tessera::policy {

struct Target {
  std::string host;
  std::uint16_t port = 0;
  std::string protocol;  // "http", "postgres", ...
};

class ServerWorkloadIndex {
 public:
  // `snapshot` must outlive the index (the index points into it).
  explicit ServerWorkloadIndex(const model::ConfigSnapshot& snapshot);

  // The server workload for `target`, or null when none matches.
  const model::ConfigObject* match(const Target& target) const;

 private:
  struct Entry {
    const model::ConfigObject* object;
    std::uint16_t port;
    std::string protocol;
  };
  static const model::ConfigObject* first(const std::vector<Entry>& entries, const Target& t);

  std::unordered_map<std::string, std::vector<Entry>> exact_;     // lower-case host
  std::unordered_map<std::string, std::vector<Entry>> wildcard_;  // ".s3.amazonaws.com"
};

}  // namespace tessera::policy
