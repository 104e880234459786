// YAML documents as operators write configuration files: multi-document YAML text turned into
// JSON documents, remembering the line of every node so that an error the admin API reports by
// JSON pointer ("/objects/3/spec/port") can be shown as "file.yaml:12: spec.port: ...".
// Used by the CLI's apply and diff (and by anything else that reads configuration files).
//
// Typing is deliberately small and predictable: plain true/false (any case) are booleans, plain
// decimal integers are numbers, plain null/~/empty is null; everything else, and every quoted
// scalar, is a string. Duplicate mapping keys are errors. Pure: the caller reads the file.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tessera::model {

inline constexpr std::size_t kMaxYamlFileBytes = 32 * 1024 * 1024;
inline constexpr std::size_t kMaxYamlDocuments = 20'000;

struct YamlDocument {
  nlohmann::json value;
  // 1-based line of every node by its JSON pointer within this document ("" is the root). For a
  // mapping member, the line of its key.
  std::map<std::string, int> lines{};

  // The line of `pointer`, or of its nearest ancestor that has one (the document's first line).
  int lineOf(std::string_view pointer) const;
};

// Parses every non-empty document of `text`. Errors (kConfigInvalid) start with
// "<source>:<line>: ".
Result<std::vector<YamlDocument>> parseYamlDocuments(std::string_view text,
                                                     const std::string& source);

// YAML text of `value`, block style, keys in the object's order, strings quoted whenever
// parseYamlDocuments (or a YAML 1.1 reader) would read them back as something else. One document,
// no "---" marker; ends with a newline.
std::string toYaml(const nlohmann::ordered_json& value);

// "/spec/rules/0/glob" -> "spec.rules[0].glob"; "" -> "(document)". Unescapes ~1 and ~0.
std::string pointerToFieldPath(std::string_view pointer);

}  // namespace tessera::model
