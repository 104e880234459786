// ConfigObject: one configuration object as operators write it (YAML or JSON):
//   {apiVersion: tessera.dev/v1, kind, metadata: {name, labels, description}, spec}
// plus the server-managed metadata (createdAt, updatedAt, version). Parsing checks the envelope
// and the metadata, reporting every problem by JSON pointer; the spec is validated against its
// schema by planApply (config_plan), after write-only secrets kept from the stored object are
// merged in. Used by the admin API, the CLI's documents and the store mapping.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "model/field_errors.hpp"
#include "model/kind.hpp"
#include "model/spec_registry.hpp"

namespace tessera::model {

inline constexpr std::string_view kApiVersion = "tessera.dev/v1";
inline constexpr std::size_t kMaxLabels = 64;
inline constexpr std::size_t kMaxDescription = 1024;

struct ObjectMeta {
  std::string name;
  std::map<std::string, std::string> labels{};
  std::string description{};
  std::int64_t createdAt = 0;  // Unix seconds, set by the hub
  std::int64_t updatedAt = 0;
  // Stored: the object's version. In input: the version the writer expects (0: any).
  std::int64_t version = 0;
};

struct ConfigObject {
  Kind kind = Kind::kClientWorkload;
  ObjectMeta metadata{};
  nlohmann::json spec = nlohmann::json::object();
};

// Parses one document; `expectedKind` (the API collection) makes `kind` optional and must agree.
// Errors are added under `pointer` and nullopt returned when there were any.
std::optional<ConfigObject> parseConfigObject(const nlohmann::json& doc,
                                              std::optional<Kind> expectedKind,
                                              const std::string& pointer, FieldErrors& errors);

// Why `key`/`value` is not a valid label, or nullopt.
std::optional<std::string> labelKeyProblem(std::string_view key);
std::optional<std::string> labelValueProblem(std::string_view value);

enum class SecretView {
  kRemove,  // admin API answers and export: write-only fields are absent
  kMask,    // audit events: present as "(redacted)"
  kKeep,    // the store
};

// The document form. `serverFields` adds createdAt, updatedAt and version to metadata.
nlohmann::json toDocument(const ConfigObject& object, const SpecRegistry& registry,
                          SecretView secrets, bool serverFields);

// The store's document ({labels, description, spec}) and back.
std::string toStoredDocument(const ConfigObject& object);
Result<ConfigObject> fromStoredDocument(Kind kind, std::string name, std::string_view document,
                                        std::int64_t createdAt, std::int64_t updatedAt,
                                        std::int64_t version);

// Same labels, description and spec (what an apply would change).
bool sameContent(const ConfigObject& a, const ConfigObject& b);

// "ServerWorkload/s3"
std::string objectId(Kind kind, std::string_view name);

}  // namespace tessera::model
