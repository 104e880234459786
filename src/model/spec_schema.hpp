// Schema: a small declarative description of a JSON value (types, required and unknown fields,
// ranges, enumerations, secret fields, custom checks) used to validate every object spec. One
// Schema per kind or per provider/condition type; it also yields the JSON Schema the OpenAPI
// document publishes, so validation and documentation cannot drift apart.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/field_errors.hpp"

namespace tessera::model {

struct Property;

class Schema {
 public:
  enum class Type { kString, kInteger, kBoolean, kObject, kArray, kStringMap, kCustom };
  // A reason when the value is not acceptable, nullopt when it is.
  using Check = std::function<std::optional<std::string>(const nlohmann::json&)>;
  // Cross-field rules of an object (after its fields passed), adding errors under `pointer`.
  using ObjectCheck =
      std::function<void(const nlohmann::json&, const std::string& pointer, FieldErrors&)>;

  static Schema string(std::string description = {});
  static Schema integer(std::string description = {});
  static Schema boolean(std::string description = {});
  static Schema array(const Schema& items, std::string description = {});
  static Schema stringMap(std::string description = {});
  static Schema object(std::vector<Property> properties, std::string description = {});
  // A value with its own validator (recursive structures) and its published JSON Schema.
  static Schema custom(ObjectCheck validate, nlohmann::json jsonSchema);

  Schema oneOf(std::vector<std::string> values) const;
  Schema length(std::size_t min, std::size_t max) const;
  Schema range(std::int64_t min, std::int64_t max) const;
  Schema items(std::size_t min, std::size_t max) const;
  Schema check(Check c) const;
  Schema objectCheck(ObjectCheck c) const;
  // Write-only: never returned by the admin API, redacted in audit events.
  Schema secret() const;
  // The same object schema with `p` as its first property (a typed spec's "type").
  Schema withLeadingProperty(Property p) const;

  Type type() const noexcept { return type_; }
  const std::vector<Property>& properties() const noexcept { return properties_; }

  // Adds an error for every problem of `value` under `pointer`.
  void validate(const nlohmann::json& value, const std::string& pointer, FieldErrors& errors) const;

  // Removes every secret field (the admin API's answers).
  void removeSecrets(nlohmann::json& value) const;
  // Replaces every secret field present by "(redacted)" (audit events).
  void maskSecrets(nlohmann::json& value) const;
  // Fills secret fields absent from `incoming` with their `stored` values, so that an update
  // that cannot know a write-only value keeps it.
  void keepSecrets(nlohmann::json& incoming, const nlohmann::json& stored) const;
  bool hasSecrets() const;
  // Calls `visit` with the JSON pointer (under `pointer`) and the value of every secret field
  // present in `value` (sealing at rest rewrites them in place).
  void forEachSecret(nlohmann::json& value, const std::string& pointer,
                     const std::function<void(const std::string&, nlohmann::json&)>& visit) const;

  // An OpenAPI 3.0 schema object.
  nlohmann::json toJsonSchema() const;

 private:
  // Out of line: Property is incomplete here, and clang (C++20, constexpr std::vector) refuses to
  // instantiate vector<Property>'s destructor for an inline constructor.
  explicit Schema(Type t);

  Type type_;
  std::string description_;
  std::vector<std::string> enum_;
  std::size_t minLength_ = 0;
  std::size_t maxLength_ = 4096;
  std::optional<std::int64_t> minimum_;
  std::optional<std::int64_t> maximum_;
  std::size_t minItems_ = 0;
  std::size_t maxItems_ = 256;
  std::shared_ptr<const Schema> items_;
  std::vector<Property> properties_;
  std::vector<Check> checks_;
  std::vector<ObjectCheck> objectChecks_;
  nlohmann::json customJsonSchema_;
  bool secret_ = false;
};

struct Property {
  std::string name;
  Schema schema;
  bool required = false;
};

inline Property requiredField(std::string name, Schema schema) {
  return Property{std::move(name), std::move(schema), true};
}
inline Property optionalField(std::string name, Schema schema) {
  return Property{std::move(name), std::move(schema), false};
}

}  // namespace tessera::model
