// ConfigSnapshot: an immutable view of the whole configuration at one revision, indexed by kind
// and name, with each object's referrers. The hub swaps in a new snapshot after every change and
// serves every read (admin API lists, and later decisions) from it without locks.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/config_object.hpp"

namespace tessera::model {

// A name one object uses to refer to another, and the field it sits in ("/spec/serverWorkload").
struct ObjectRef {
  Kind kind = Kind::kClientWorkload;
  std::string name;
  std::string pointer;
};

// What `object` refers to (only access policies refer to other objects).
std::vector<ObjectRef> referencesOf(const ConfigObject& object);

class ConfigSnapshot {
 public:
  ConfigSnapshot(std::int64_t revision, std::vector<ConfigObject> objects);
  // The indexes point into objects_: a copy would point into the original. A move keeps the
  // vector's buffer, so the indexes stay valid.
  ConfigSnapshot(const ConfigSnapshot&) = delete;
  ConfigSnapshot& operator=(const ConfigSnapshot&) = delete;
  ConfigSnapshot(ConfigSnapshot&&) = default;
  ConfigSnapshot& operator=(ConfigSnapshot&&) = default;
  static std::shared_ptr<const ConfigSnapshot> empty();

  std::int64_t revision() const noexcept { return revision_; }
  std::size_t size() const noexcept { return objects_.size(); }

  const ConfigObject* find(Kind kind, std::string_view name) const;
  // Every object of `kind`, ordered by name.
  const std::vector<const ConfigObject*>& list(Kind kind) const;
  // Objects referring to kind/name, as "AccessPolicy/name", ordered.
  std::vector<std::string> referrers(Kind kind, std::string_view name) const;
  // All objects, kinds in kAllKinds order, each by name.
  std::vector<const ConfigObject*> all() const;

 private:
  static std::size_t index(Kind kind) { return static_cast<std::size_t>(kind); }

  std::int64_t revision_;
  std::vector<ConfigObject> objects_;
  std::array<std::map<std::string, const ConfigObject*, std::less<>>, kAllKinds.size()> byName_;
  std::array<std::vector<const ConfigObject*>, kAllKinds.size()> sorted_;
  std::array<std::map<std::string, std::vector<std::string>, std::less<>>, kAllKinds.size()>
      referrers_;
};

}  // namespace tessera::model
