// SpecRegistry: the schema of every object spec. ClientWorkload, ServerWorkload and AccessPolicy
// have one spec schema each; TrustProvider, AccessCondition and CredentialProvider specs carry a
// `type` and each type registers its own schema. Adding a type is one file under model/types/ plus
// one line in builtin_types.cpp. Used by object parsing, redaction and the OpenAPI document.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/kind.hpp"
#include "model/spec_schema.hpp"

namespace tessera::model {

class SpecRegistry {
 public:
  // Every built-in kind schema and type. Built once, immutable afterwards.
  static const SpecRegistry& builtin();

  // Kinds whose spec has a `type` chosen from registered types.
  static bool isTyped(Kind kind) noexcept;

  // Throws std::logic_error when the kind is typed (start-up programming error).
  void setKindSchema(Kind kind, Schema schema);
  // Throws std::logic_error for an untyped kind or a duplicate type.
  void addType(Kind kind, std::string type, Schema schema);

  void validateSpec(Kind kind, const nlohmann::json& spec, const std::string& pointer,
                    FieldErrors& errors) const;
  // The schema that applies to `spec` (by its type for typed kinds); null when none does.
  const Schema* schemaFor(Kind kind, const nlohmann::json& spec) const;
  std::vector<std::string> typeNames(Kind kind) const;
  // The JSON Schema of the spec of `kind` (a oneOf over types for typed kinds).
  nlohmann::json specJsonSchema(Kind kind) const;

 private:
  std::map<Kind, Schema> kindSchemas_;
  std::map<Kind, std::map<std::string, Schema, std::less<>>> types_;
};

}  // namespace tessera::model
