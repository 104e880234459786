#include "model/secret_sealing.hpp"

namespace tessera::model {

namespace {
constexpr std::string_view kSealedMember = "sealed";
}  // namespace

std::string secretAad(Kind kind, std::string_view name, std::string_view pointer) {
  return "config-secret:" + objectId(kind, name) + "#" + std::string(pointer);
}

Result<void> sealSecrets(ConfigObject& object, const SpecRegistry& registry,
                         const crypto::KeyEncryptionKey& kek) {
  const Schema* schema = registry.schemaFor(object.kind, object.spec);
  if (schema == nullptr) {
    return {};
  }
  std::optional<Error> failure;
  schema->forEachSecret(object.spec, "/spec", [&](const std::string& pointer, nlohmann::json& v) {
    if (failure || !v.is_string()) {
      return;  // already sealed (an object), or nothing a schema accepts
    }
    auto sealed = crypto::seal(kek, v.get_ref<const std::string&>(),
                               secretAad(object.kind, object.metadata.name, pointer));
    if (!sealed) {
      failure = Error{ErrorCode::kCryptoFailure,
                      objectId(object.kind, object.metadata.name) + ": secret field " + pointer +
                          " could not be sealed: " + sealed.error().message};
      return;
    }
    v = nlohmann::json{{kSealedMember, std::move(*sealed)}};
  });
  if (failure) {
    return std::move(*failure);
  }
  return {};
}

std::vector<UnsealProblem> unsealSecrets(ConfigObject& object, const SpecRegistry& registry,
                                         const crypto::KeyEncryptionKey& kek) {
  std::vector<UnsealProblem> problems;
  const Schema* schema = registry.schemaFor(object.kind, object.spec);
  if (schema == nullptr) {
    return problems;
  }
  std::vector<std::string> drop;
  schema->forEachSecret(object.spec, "/spec", [&](const std::string& pointer, nlohmann::json& v) {
    if (v.is_string()) {
      return;  // written before secrets were sealed: sealed again by the next write
    }
    const auto sealed = v.is_object() ? v.find(kSealedMember) : v.end();
    if (!v.is_object() || sealed == v.end() || !sealed->is_string()) {
      problems.push_back({pointer, "is neither a sealed value nor a string"});
      drop.push_back(pointer);
      return;
    }
    auto plain = crypto::unseal(kek, sealed->get_ref<const std::string&>(),
                                secretAad(object.kind, object.metadata.name, pointer));
    if (!plain) {
      problems.push_back({pointer, plain.error().message});
      drop.push_back(pointer);
      return;
    }
    v = std::move(*plain);
  });
  for (const auto& pointer : drop) {
    // "/spec/a/b" -> erase b from spec/a.
    const auto slash = pointer.rfind('/');
    const nlohmann::json::json_pointer parent(
        pointer.substr(std::string_view("/spec").size(), slash - std::string_view("/spec").size()));
    auto& holder = object.spec.at(parent);
    if (holder.is_object()) {
      holder.erase(nlohmann::json::json_pointer(pointer.substr(slash)).back());
    } else if (holder.is_array()) {
      holder.at(std::stoul(pointer.substr(slash + 1))) = nullptr;
    }
  }
  return problems;
}

}  // namespace tessera::model
