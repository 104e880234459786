// Reading YAML configuration files with errors an operator can act on: every error names the
// file, the line and the field path ("hub.yaml:12: keys.rotationPeriod: ..."). Unknown fields
// are rejected so that a typo never silently falls back to a default.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tessera {

// Reads a configuration file (at most 1 MiB) into memory.
Result<std::string> readConfigFile(const std::filesystem::path& path);

class ConfigNode {
 public:
  // Files are limited to 1 MiB.
  ConfigNode() = default;  // an empty mapping with no source; filled by assignment
  static Result<ConfigNode> loadFile(const std::filesystem::path& path);
  static Result<ConfigNode> loadString(std::string_view text, std::string source);

  bool has(std::string_view key) const;
  bool isMap() const { return node_.IsMap(); }
  const std::string& path() const { return path_; }

  // A child map (absent -> empty map so that defaults apply).
  Result<ConfigNode> child(std::string_view key) const;
  // A sequence of mappings ("listeners: [{...}, {...}]"), each named "key[i]" in errors; absent ->
  // empty. At most `maxItems`.
  Result<std::vector<ConfigNode>> children(std::string_view key, std::size_t maxItems) const;
  Result<std::string> requiredString(std::string_view key) const;
  Result<std::string> string(std::string_view key, std::string fallback) const;
  Result<std::int64_t> integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                               std::int64_t max) const;
  Result<bool> boolean(std::string_view key, bool fallback) const;
  Result<std::chrono::milliseconds> duration(std::string_view key,
                                             std::chrono::milliseconds fallback) const;
  Result<std::vector<std::string>> stringList(std::string_view key,
                                              std::vector<std::string> fallback) const;

  // Fails naming the first field not in `allowed`.
  Result<void> rejectUnknown(std::initializer_list<std::string_view> allowed) const;

  // An error located at `key` of this node (or at this node when key is empty).
  Error errorAt(std::string_view key, std::string message) const;

 private:
  ConfigNode(YAML::Node node, std::shared_ptr<const std::string> source, std::string path)
      : node_(std::move(node)), source_(std::move(source)), path_(std::move(path)) {}
  Result<YAML::Node> scalar(std::string_view key) const;
  std::string fieldPath(std::string_view key) const;

  YAML::Node node_;
  std::shared_ptr<const std::string> source_ = std::make_shared<const std::string>("(none)");
  std::string path_;  // dotted path of this node from the root ("" at the root)
};

}  // namespace tessera
