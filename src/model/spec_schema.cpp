#include "model/spec_schema.hpp"

#include <set>

namespace tessera::model {

namespace {
constexpr std::string_view kRedacted = "(redacted)";

std::string jsonTypeName(const nlohmann::json& v) {
  if (v.is_null()) {
    return "null";
  }
  if (v.is_boolean()) {
    return "a boolean";
  }
  if (v.is_number_integer()) {
    return "an integer";
  }
  if (v.is_number()) {
    return "a number";
  }
  if (v.is_string()) {
    return "a string";
  }
  if (v.is_array()) {
    return "an array";
  }
  return "an object";
}

std::string quotedList(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    out += out.empty() ? "" : ", ";
    out += v;
  }
  return out;
}
}  // namespace

Schema::Schema(Type t) : type_(t) {}

Schema Schema::string(std::string description) {
  Schema s(Type::kString);
  s.description_ = std::move(description);
  return s;
}

Schema Schema::integer(std::string description) {
  Schema s(Type::kInteger);
  s.description_ = std::move(description);
  return s;
}

Schema Schema::boolean(std::string description) {
  Schema s(Type::kBoolean);
  s.description_ = std::move(description);
  return s;
}

Schema Schema::array(const Schema& items, std::string description) {
  Schema s(Type::kArray);
  s.items_ = std::make_shared<const Schema>(items);
  s.description_ = std::move(description);
  return s;
}

Schema Schema::stringMap(std::string description) {
  Schema s(Type::kStringMap);
  s.description_ = std::move(description);
  s.maxItems_ = 64;
  s.maxLength_ = 1024;
  return s;
}

Schema Schema::object(std::vector<Property> properties, std::string description) {
  Schema s(Type::kObject);
  s.properties_ = std::move(properties);
  s.description_ = std::move(description);
  return s;
}

Schema Schema::custom(ObjectCheck validate, nlohmann::json jsonSchema) {
  Schema s(Type::kCustom);
  s.objectChecks_.push_back(std::move(validate));
  s.customJsonSchema_ = std::move(jsonSchema);
  return s;
}

Schema Schema::oneOf(std::vector<std::string> values) const {
  Schema s = *this;
  s.enum_ = std::move(values);
  return s;
}

Schema Schema::length(std::size_t min, std::size_t max) const {
  Schema s = *this;
  s.minLength_ = min;
  s.maxLength_ = max;
  return s;
}

Schema Schema::range(std::int64_t min, std::int64_t max) const {
  Schema s = *this;
  s.minimum_ = min;
  s.maximum_ = max;
  return s;
}

Schema Schema::items(std::size_t min, std::size_t max) const {
  Schema s = *this;
  s.minItems_ = min;
  s.maxItems_ = max;
  return s;
}

Schema Schema::check(Check c) const {
  Schema s = *this;
  s.checks_.push_back(std::move(c));
  return s;
}

Schema Schema::objectCheck(ObjectCheck c) const {
  Schema s = *this;
  s.objectChecks_.push_back(std::move(c));
  return s;
}

Schema Schema::secret() const {
  Schema s = *this;
  s.secret_ = true;
  return s;
}

Schema Schema::withLeadingProperty(Property p) const {
  Schema s = *this;
  s.properties_.insert(s.properties_.begin(), std::move(p));
  return s;
}

void Schema::validate(const nlohmann::json& value, const std::string& pointer,
                      FieldErrors& errors) const {
  // Checks and cross-field rules assume well-formed values: they run only when the value's type,
  // fields, items and entries passed (a uniqueness check must not read a number as a string).
  const std::size_t before = errors.size();
  const auto wrongType = [&](std::string_view expected) {
    errors.add(pointer, "must be " + std::string(expected) + ", not " + jsonTypeName(value));
  };
  switch (type_) {
    case Type::kString: {
      if (!value.is_string()) {
        return wrongType("a string");
      }
      const auto& s = value.get_ref<const std::string&>();
      if (s.size() < minLength_) {
        return errors.add(
            pointer, minLength_ == 1
                         ? "must not be empty"
                         : "must be at least " + std::to_string(minLength_) + " characters long");
      }
      if (s.size() > maxLength_) {
        return errors.add(pointer,
                          "must be at most " + std::to_string(maxLength_) + " characters long");
      }
      if (!enum_.empty() && std::find(enum_.begin(), enum_.end(), s) == enum_.end()) {
        return errors.add(pointer, "must be one of " + quotedList(enum_) + ", not '" + s + "'");
      }
      break;
    }
    case Type::kInteger: {
      if (!value.is_number_integer()) {
        return wrongType("an integer");
      }
      const auto n = value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX
                         ? INT64_MAX
                         : value.get<std::int64_t>();
      if (minimum_ && n < *minimum_) {
        return errors.add(pointer, "must be at least " + std::to_string(*minimum_));
      }
      if (maximum_ && n > *maximum_) {
        return errors.add(pointer, "must be at most " + std::to_string(*maximum_));
      }
      break;
    }
    case Type::kBoolean:
      if (!value.is_boolean()) {
        return wrongType("a boolean");
      }
      break;
    case Type::kArray: {
      if (!value.is_array()) {
        return wrongType("an array");
      }
      if (value.size() < minItems_) {
        return errors.add(
            pointer, minItems_ == 1 ? "must have at least one item"
                                    : "must have at least " + std::to_string(minItems_) + " items");
      }
      if (value.size() > maxItems_) {
        return errors.add(pointer, "must have at most " + std::to_string(maxItems_) + " items");
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        items_->validate(value[i], pointerAppend(pointer, i), errors);
      }
      break;
    }
    case Type::kStringMap: {
      if (!value.is_object()) {
        return wrongType("an object of strings");
      }
      if (value.size() > maxItems_) {
        return errors.add(pointer, "must have at most " + std::to_string(maxItems_) + " entries");
      }
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) {
          errors.add(pointerAppend(pointer, k), "must be a string, not " + jsonTypeName(v));
        } else if (v.get_ref<const std::string&>().size() > maxLength_) {
          errors.add(pointerAppend(pointer, k),
                     "must be at most " + std::to_string(maxLength_) + " characters long");
        }
      }
      break;
    }
    case Type::kObject: {
      if (!value.is_object()) {
        return wrongType("an object");
      }
      std::set<std::string, std::less<>> known;
      for (const auto& p : properties_) {
        known.insert(p.name);
        const auto it = value.find(p.name);
        if (it == value.end()) {
          if (p.required) {
            errors.add(pointerAppend(pointer, p.name), "is required");
          }
          continue;
        }
        p.schema.validate(*it, pointerAppend(pointer, p.name), errors);
      }
      for (const auto& [k, v] : value.items()) {
        if (!known.contains(k)) {
          std::vector<std::string> names;
          for (const auto& p : properties_) {
            names.push_back(p.name);
          }
          errors.add(
              pointerAppend(pointer, k),
              "unknown field" + (names.empty() ? std::string() : "; known: " + quotedList(names)));
        }
      }
      break;
    }
    case Type::kCustom:
      break;
  }
  if (errors.size() != before) {
    return;
  }
  for (const auto& c : checks_) {
    if (auto reason = c(value)) {
      return errors.add(pointer, *reason);
    }
  }
  for (const auto& c : objectChecks_) {
    c(value, pointer, errors);
  }
}

void Schema::removeSecrets(nlohmann::json& value) const {
  if (type_ == Type::kArray && value.is_array()) {
    for (auto& item : value) {
      items_->removeSecrets(item);
    }
  }
  if (type_ != Type::kObject || !value.is_object()) {
    return;
  }
  for (const auto& p : properties_) {
    if (auto it = value.find(p.name); it != value.end()) {
      if (p.schema.secret_) {
        value.erase(it);
      } else {
        p.schema.removeSecrets(*it);
      }
    }
  }
}

void Schema::maskSecrets(nlohmann::json& value) const {
  if (type_ == Type::kArray && value.is_array()) {
    for (auto& item : value) {
      items_->maskSecrets(item);
    }
  }
  if (type_ != Type::kObject || !value.is_object()) {
    return;
  }
  for (const auto& p : properties_) {
    if (auto it = value.find(p.name); it != value.end()) {
      if (p.schema.secret_) {
        *it = kRedacted;
      } else {
        p.schema.maskSecrets(*it);
      }
    }
  }
}

void Schema::keepSecrets(nlohmann::json& incoming, const nlohmann::json& stored) const {
  if (type_ != Type::kObject || !incoming.is_object() || !stored.is_object()) {
    return;
  }
  for (const auto& p : properties_) {
    const auto old = stored.find(p.name);
    if (old == stored.end()) {
      continue;
    }
    auto now = incoming.find(p.name);
    if (p.schema.secret_) {
      if (now == incoming.end()) {
        incoming[p.name] = *old;
      }
    } else if (now != incoming.end()) {
      p.schema.keepSecrets(*now, *old);
    }
  }
}

void Schema::forEachSecret(
    nlohmann::json& value, const std::string& pointer,
    const std::function<void(const std::string&, nlohmann::json&)>& visit) const {
  if (type_ == Type::kArray && value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      items_->forEachSecret(value[i], pointer + "/" + std::to_string(i), visit);
    }
  }
  if (type_ != Type::kObject || !value.is_object()) {
    return;
  }
  for (const auto& p : properties_) {
    if (auto it = value.find(p.name); it != value.end()) {
      const std::string where = pointerAppend(pointer, p.name);
      if (p.schema.secret_) {
        visit(where, *it);
      } else {
        p.schema.forEachSecret(*it, where, visit);
      }
    }
  }
}

bool Schema::hasSecrets() const {
  if (secret_) {
    return true;
  }
  if (items_ && items_->hasSecrets()) {
    return true;
  }
  for (const auto& p : properties_) {
    if (p.schema.hasSecrets()) {
      return true;
    }
  }
  return false;
}

nlohmann::json Schema::toJsonSchema() const {
  nlohmann::json out;
  switch (type_) {
    case Type::kString:
      out["type"] = "string";
      if (minLength_ > 0) {
        out["minLength"] = minLength_;
      }
      out["maxLength"] = maxLength_;
      if (!enum_.empty()) {
        out["enum"] = enum_;
      }
      break;
    case Type::kInteger:
      out["type"] = "integer";
      if (minimum_) {
        out["minimum"] = *minimum_;
      }
      if (maximum_) {
        out["maximum"] = *maximum_;
      }
      break;
    case Type::kBoolean:
      out["type"] = "boolean";
      break;
    case Type::kArray:
      out["type"] = "array";
      out["items"] = items_->toJsonSchema();
      if (minItems_ > 0) {
        out["minItems"] = minItems_;
      }
      out["maxItems"] = maxItems_;
      break;
    case Type::kStringMap:
      out["type"] = "object";
      out["additionalProperties"] = {{"type", "string"}};
      out["maxProperties"] = maxItems_;
      break;
    case Type::kObject: {
      out["type"] = "object";
      auto& props = out["properties"] = nlohmann::json::object();
      auto requiredNames = nlohmann::json::array();
      for (const auto& p : properties_) {
        props[p.name] = p.schema.toJsonSchema();
        if (p.required) {
          requiredNames.push_back(p.name);
        }
      }
      if (!requiredNames.empty()) {
        out["required"] = requiredNames;
      }
      out["additionalProperties"] = false;
      break;
    }
    case Type::kCustom:
      out = customJsonSchema_;
      break;
  }
  if (!description_.empty()) {
    out["description"] = description_;
  }
  if (secret_) {
    out["writeOnly"] = true;
  }
  return out;
}

}  // namespace tessera::model
