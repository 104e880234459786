#include "model/config_snapshot.hpp"

#include <algorithm>

namespace tessera::model {

std::vector<ObjectRef> referencesOf(const ConfigObject& object) {
  std::vector<ObjectRef> out;
  if (object.kind != Kind::kAccessPolicy) {
    return out;
  }
  const auto& spec = object.spec;
  const auto names = [&](const nlohmann::json* list, Kind kind, const std::string& pointer) {
    if (list == nullptr || !list->is_array()) {
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      if ((*list)[i].is_string()) {
        out.push_back(ObjectRef{kind, (*list)[i].get<std::string>(), pointerAppend(pointer, i)});
      }
    }
  };
  const auto field = [&](const char* name) -> const nlohmann::json* {
    const auto it = spec.find(name);
    return it == spec.end() ? nullptr : &*it;
  };
  names(field("clientWorkloads"), Kind::kClientWorkload, "/spec/clientWorkloads");
  if (const auto* tp = field("trustProviders"); tp != nullptr && tp->is_object()) {
    const auto it = tp->find("names");
    names(it == tp->end() ? nullptr : &*it, Kind::kTrustProvider, "/spec/trustProviders/names");
  }
  names(field("accessConditions"), Kind::kAccessCondition, "/spec/accessConditions");
  for (const auto& [name, kind] : {std::pair{"credentialProvider", Kind::kCredentialProvider},
                                   std::pair{"serverWorkload", Kind::kServerWorkload}}) {
    if (const auto* v = field(name); v != nullptr && v->is_string()) {
      out.push_back(ObjectRef{kind, v->get<std::string>(), std::string("/spec/") + name});
    }
  }
  return out;
}

ConfigSnapshot::ConfigSnapshot(std::int64_t revision, std::vector<ConfigObject> objects)
    : revision_(revision), objects_(std::move(objects)) {
  for (const auto& o : objects_) {
    byName_[index(o.kind)].emplace(o.metadata.name, &o);
  }
  for (Kind kind : kAllKinds) {
    auto& sorted = sorted_[index(kind)];
    for (const auto& [name, object] : byName_[index(kind)]) {
      sorted.push_back(object);
    }
  }
  for (const auto& o : objects_) {
    for (const auto& ref : referencesOf(o)) {
      referrers_[index(ref.kind)][ref.name].push_back(objectId(o.kind, o.metadata.name));
    }
  }
  for (auto& byKind : referrers_) {
    for (auto& [name, list] : byKind) {
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
    }
  }
}

std::shared_ptr<const ConfigSnapshot> ConfigSnapshot::empty() {
  static const auto kEmpty = std::make_shared<const ConfigSnapshot>(0, std::vector<ConfigObject>{});
  return kEmpty;
}

const ConfigObject* ConfigSnapshot::find(Kind kind, std::string_view name) const {
  const auto& map = byName_[index(kind)];
  const auto it = map.find(name);
  return it == map.end() ? nullptr : it->second;
}

const std::vector<const ConfigObject*>& ConfigSnapshot::list(Kind kind) const {
  return sorted_[index(kind)];
}

std::vector<std::string> ConfigSnapshot::referrers(Kind kind, std::string_view name) const {
  const auto& map = referrers_[index(kind)];
  const auto it = map.find(name);
  return it == map.end() ? std::vector<std::string>{} : it->second;
}

std::vector<const ConfigObject*> ConfigSnapshot::all() const {
  std::vector<const ConfigObject*> out;
  out.reserve(objects_.size());
  for (Kind kind : kAllKinds) {
    const auto& l = list(kind);
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

}  // namespace tessera::model
