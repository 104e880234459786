#include "model/spec_registry.hpp"

#include <stdexcept>

#include "model/types/builtin_types.hpp"

namespace tessera::model {

const SpecRegistry& SpecRegistry::builtin() {
  static const SpecRegistry registry = [] {
    SpecRegistry r;
    registerBuiltinSpecs(r);
    return r;
  }();
  return registry;
}

bool SpecRegistry::isTyped(Kind kind) noexcept {
  return kind == Kind::kTrustProvider || kind == Kind::kAccessCondition ||
         kind == Kind::kCredentialProvider;
}

void SpecRegistry::setKindSchema(Kind kind, Schema schema) {
  if (isTyped(kind)) {
    throw std::logic_error(std::string(kindName(kind)) + " specs are typed; use addType");
  }
  kindSchemas_.insert_or_assign(kind, std::move(schema));
}

void SpecRegistry::addType(Kind kind, std::string type, Schema schema) {
  if (!isTyped(kind)) {
    throw std::logic_error(std::string(kindName(kind)) + " has no types");
  }
  auto withType = schema.withLeadingProperty(requiredField(
      "type", Schema::string("The " + std::string(kindName(kind)) + " type.").oneOf({type})));
  if (!types_[kind].emplace(type, std::move(withType)).second) {
    throw std::logic_error("duplicate " + std::string(kindName(kind)) + " type " + type);
  }
}

const Schema* SpecRegistry::schemaFor(Kind kind, const nlohmann::json& spec) const {
  if (!isTyped(kind)) {
    const auto it = kindSchemas_.find(kind);
    return it == kindSchemas_.end() ? nullptr : &it->second;
  }
  const auto types = types_.find(kind);
  if (types == types_.end() || !spec.is_object()) {
    return nullptr;
  }
  const auto type = spec.find("type");
  if (type == spec.end() || !type->is_string()) {
    return nullptr;
  }
  const auto it = types->second.find(type->get_ref<const std::string&>());
  return it == types->second.end() ? nullptr : &it->second;
}

std::vector<std::string> SpecRegistry::typeNames(Kind kind) const {
  std::vector<std::string> out;
  if (const auto types = types_.find(kind); types != types_.end()) {
    for (const auto& [name, schema] : types->second) {
      out.push_back(name);
    }
  }
  return out;
}

void SpecRegistry::validateSpec(Kind kind, const nlohmann::json& spec, const std::string& pointer,
                                FieldErrors& errors) const {
  if (!spec.is_object()) {
    return errors.add(pointer, "must be an object");
  }
  if (const Schema* schema = schemaFor(kind, spec)) {
    return schema->validate(spec, pointer, errors);
  }
  if (!isTyped(kind)) {
    return errors.add(pointer, "no schema for " + std::string(kindName(kind)));
  }
  std::string known;
  for (const auto& name : typeNames(kind)) {
    known += known.empty() ? name : ", " + name;
  }
  const auto type = spec.find("type");
  if (type == spec.end()) {
    return errors.add(pointer + "/type", "is required; one of " + known);
  }
  if (!type->is_string()) {
    return errors.add(pointer + "/type", "must be a string; one of " + known);
  }
  errors.add(pointer + "/type", "unknown " + std::string(kindName(kind)) + " type '" +
                                    type->get<std::string>() + "'; one of " + known);
}

nlohmann::json SpecRegistry::specJsonSchema(Kind kind) const {
  if (!isTyped(kind)) {
    const auto it = kindSchemas_.find(kind);
    return it == kindSchemas_.end() ? nlohmann::json::object() : it->second.toJsonSchema();
  }
  auto oneOf = nlohmann::json::array();
  if (const auto types = types_.find(kind); types != types_.end()) {
    for (const auto& [name, schema] : types->second) {
      oneOf.push_back(schema.toJsonSchema());
    }
  }
  return {{"oneOf", oneOf}};
}

}  // namespace tessera::model
