#include "model/config_object.hpp"

#include "common/time_format.hpp"
#include "model/types/spec_checks.hpp"

namespace tessera::model {

namespace {
bool labelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}
bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void parseMetadata(const nlohmann::json& meta, const std::string& pointer, ObjectMeta& out,
                   FieldErrors& errors) {
  if (!meta.is_object()) {
    return errors.add(pointer, "must be an object with name, labels, description");
  }
  for (const auto& [key, value] : meta.items()) {
    const std::string p = pointerAppend(pointer, key);
    if (key == "name") {
      if (!value.is_string()) {
        errors.add(p, "must be a string");
      } else if (auto problem = objectNameProblem(value.get_ref<const std::string&>())) {
        errors.add(p, *problem);
      } else {
        out.name = value.get<std::string>();
      }
    } else if (key == "labels") {
      if (!value.is_object()) {
        errors.add(p, "must be an object of strings");
        continue;
      }
      if (value.size() > kMaxLabels) {
        errors.add(p, "must have at most 64 labels");
        continue;
      }
      for (const auto& [k, v] : value.items()) {
        const std::string lp = pointerAppend(p, k);
        if (auto problem = labelKeyProblem(k)) {
          errors.add(lp, "label key " + *problem);
        } else if (!v.is_string()) {
          errors.add(lp, "must be a string");
        } else if (auto valueProblem = labelValueProblem(v.get_ref<const std::string&>())) {
          errors.add(lp, "label value " + *valueProblem);
        } else {
          out.labels[k] = v.get<std::string>();
        }
      }
    } else if (key == "description") {
      if (!value.is_string()) {
        errors.add(p, "must be a string");
      } else if (value.get_ref<const std::string&>().size() > kMaxDescription) {
        errors.add(p, "must be at most 1024 characters long");
      } else {
        out.description = value.get<std::string>();
      }
    } else if (key == "version") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 1) {
        errors.add(p, "must be a positive integer (the version you expect to replace)");
      } else {
        out.version = value.get<std::int64_t>();
      }
    } else if (key == "createdAt" || key == "updatedAt") {
      // Set by the hub; accepted so that `get -o yaml` output can be applied again.
      if (!value.is_string()) {
        errors.add(p, "must be an RFC 3339 time");
      }
    } else {
      errors.add(p, "unknown field; known: name, labels, description, version");
    }
  }
  if (!meta.contains("name")) {
    errors.add(pointer + "/name", "is required");
  }
}
}  // namespace

std::optional<std::string> labelKeyProblem(std::string_view key) {
  // Optional DNS-style prefix and '/', then a name: like Kubernetes labels.
  const auto slash = key.rfind('/');
  const auto name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (slash != std::string_view::npos) {
    const auto prefix = key.substr(0, slash);
    if (prefix.empty() || prefix.size() > 253) {
      return "prefix must be 1-253 characters";
    }
    for (char c : prefix) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
        return "prefix must be a lower-case DNS name";
      }
    }
  }
  if (name.empty() || name.size() > 63) {
    return "must be 1-63 characters (after any prefix/)";
  }
  for (char c : name) {
    if (!labelChar(c)) {
      return "may use only letters, digits, '-', '_' and '.'";
    }
  }
  if (!alnum(name.front()) || !alnum(name.back())) {
    return "must start and end with a letter or digit";
  }
  return std::nullopt;
}

std::optional<std::string> labelValueProblem(std::string_view value) {
  if (value.size() > 63) {
    return "must be at most 63 characters";
  }
  for (char c : value) {
    if (!labelChar(c)) {
      return "may use only letters, digits, '-', '_' and '.'";
    }
  }
  if (!value.empty() && (!alnum(value.front()) || !alnum(value.back()))) {
    return "must start and end with a letter or digit";
  }
  return std::nullopt;
}

std::optional<ConfigObject> parseConfigObject(const nlohmann::json& doc,
                                              std::optional<Kind> expectedKind,
                                              const std::string& pointer, FieldErrors& errors) {
  const std::size_t before = errors.size();
  if (!doc.is_object()) {
    errors.add(pointer, "must be an object with kind, metadata and spec");
    return std::nullopt;
  }
  ConfigObject out;
  bool haveKind = false;
  if (auto kind = doc.find("kind"); kind != doc.end()) {
    const std::string p = pointer + "/kind";
    std::optional<Kind> parsed;
    if (kind->is_string()) {
      parsed = parseKindName(kind->get_ref<const std::string&>());
    }
    if (!parsed) {
      std::string known;
      for (Kind k : kAllKinds) {
        known += (known.empty() ? "" : ", ") + std::string(kindName(k));
      }
      errors.add(p, "unknown kind" +
                        (kind->is_string() ? " '" + kind->get<std::string>() + "'" : "") +
                        "; one of " + known);
    } else if (expectedKind && *parsed != *expectedKind) {
      errors.add(p, "is " + std::string(kindName(*parsed)) + " but this collection holds " +
                        std::string(kindName(*expectedKind)));
    } else {
      out.kind = *parsed;
      haveKind = true;
    }
  } else if (expectedKind) {
    out.kind = *expectedKind;
    haveKind = true;
  } else {
    errors.add(pointer + "/kind", "is required");
  }
  for (const auto& [key, value] : doc.items()) {
    const std::string p = pointerAppend(pointer, key);
    if (key == "apiVersion") {
      if (value != kApiVersion) {
        errors.add(p, "must be " + std::string(kApiVersion));
      }
    } else if (key == "metadata") {
      parseMetadata(value, p, out.metadata, errors);
    } else if (key == "spec") {
      if (!value.is_object()) {
        errors.add(p, "must be an object");
      } else {
        out.spec = value;
      }
    } else if (key != "kind") {
      errors.add(p, "unknown field; known: apiVersion, kind, metadata, spec");
    }
  }
  if (!doc.contains("metadata")) {
    errors.add(pointer + "/metadata", "is required");
  }
  if (!doc.contains("spec")) {
    errors.add(pointer + "/spec", "is required");
  }
  if (errors.size() != before || !haveKind) {
    return std::nullopt;
  }
  return out;
}

nlohmann::json toDocument(const ConfigObject& object, const SpecRegistry& registry,
                          SecretView secrets, bool serverFields) {
  nlohmann::json meta = {{"name", object.metadata.name}};
  if (!object.metadata.labels.empty()) {
    meta["labels"] = object.metadata.labels;
  }
  if (!object.metadata.description.empty()) {
    meta["description"] = object.metadata.description;
  }
  if (serverFields) {
    meta["createdAt"] = formatUnixRfc3339(object.metadata.createdAt);
    meta["updatedAt"] = formatUnixRfc3339(object.metadata.updatedAt);
    meta["version"] = object.metadata.version;
  }
  nlohmann::json spec = object.spec;
  if (secrets != SecretView::kKeep) {
    if (const Schema* schema = registry.schemaFor(object.kind, spec)) {
      if (secrets == SecretView::kRemove) {
        schema->removeSecrets(spec);
      } else {
        schema->maskSecrets(spec);
      }
    }
  }
  return {{"apiVersion", kApiVersion},
          {"kind", kindName(object.kind)},
          {"metadata", std::move(meta)},
          {"spec", std::move(spec)}};
}

std::string toStoredDocument(const ConfigObject& object) {
  return nlohmann::json{{"labels", object.metadata.labels},
                        {"description", object.metadata.description},
                        {"spec", object.spec}}
      .dump();
}

Result<ConfigObject> fromStoredDocument(Kind kind, std::string name, std::string_view document,
                                        std::int64_t createdAt, std::int64_t updatedAt,
                                        std::int64_t version) {
  auto doc = nlohmann::json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("spec") || !doc["spec"].is_object() ||
      !doc.contains("labels") || !doc["labels"].is_object() || !doc.contains("description") ||
      !doc["description"].is_string()) {
    return fail(ErrorCode::kStoreFailure,
                "stored " + objectId(kind, name) + " is not a valid document");
  }
  ConfigObject out;
  out.kind = kind;
  out.metadata.name = std::move(name);
  for (const auto& [k, v] : doc["labels"].items()) {
    if (!v.is_string()) {
      return fail(ErrorCode::kStoreFailure, "stored " + objectId(kind, out.metadata.name) +
                                                " has a label that is not a string");
    }
    out.metadata.labels[k] = v.get<std::string>();
  }
  out.metadata.description = doc["description"].get<std::string>();
  out.metadata.createdAt = createdAt;
  out.metadata.updatedAt = updatedAt;
  out.metadata.version = version;
  out.spec = std::move(doc["spec"]);
  return out;
}

bool sameContent(const ConfigObject& a, const ConfigObject& b) {
  return a.kind == b.kind && a.metadata.name == b.metadata.name &&
         a.metadata.labels == b.metadata.labels &&
         a.metadata.description == b.metadata.description && a.spec == b.spec;
}

std::string objectId(Kind kind, std::string_view name) {
  return std::string(kindName(kind)) + "/" + std::string(name);
}

}  // namespace tessera::model
