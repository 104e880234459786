// Attributes of a client workload as a decision sees them: values verified by a trust provider
// ("k8s.namespace", "github.repository") and context the edge reported ("sourceIp", "hostname"),
// which nothing verified and every trace marks as such. Trust providers produce them; client
// workload matchers (src/policy) read them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::trust {

struct Attribute {
  std::string value;
  bool verified = false;
  std::string source;  // the trust provider that verified it, or "context"
};

using Attributes = std::map<std::string, Attribute, std::less<>>;

// A verified identity's attributes, shared by its copies until one of them changes: the hub
// copies an identity out of the verified-token cache on every hit and again into each decision,
// and a dozen attributes would otherwise cost a few dozen allocations per request. Reads see an
// Attributes map; the first change to a shared one copies it (so a copy never sees another's
// changes). Like any value, one instance is not to be changed while other threads read it.
class SharedAttributes {
 public:
  using const_iterator = Attributes::const_iterator;

  SharedAttributes() = default;
  SharedAttributes(Attributes attributes)  // NOLINT(google-explicit-constructor): a value
      : map_(std::make_shared<Attributes>(std::move(attributes))) {}

  const Attributes& get() const { return map_ ? *map_ : noAttributes(); }
  operator const Attributes&() const { return get(); }  // NOLINT(google-explicit-constructor)

  const_iterator begin() const { return get().begin(); }
  const_iterator end() const { return get().end(); }
  const_iterator find(std::string_view name) const { return get().find(name); }
  const Attribute& at(const std::string& name) const { return get().at(name); }
  std::size_t count(std::string_view name) const { return get().count(name); }
  bool contains(std::string_view name) const { return get().contains(name); }
  std::size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }

  // The map itself, for changes: copied first when other copies share it.
  Attributes& edit() {
    if (!map_) {
      map_ = std::make_shared<Attributes>();
    } else if (map_.use_count() > 1) {
      map_ = std::make_shared<Attributes>(*map_);
    }
    return *map_;
  }
  template <class... Args>
  auto emplace(Args&&... args) {
    return edit().emplace(std::forward<Args>(args)...);
  }
  template <class Value>
  auto insert_or_assign(std::string name, Value&& value) {
    return edit().insert_or_assign(std::move(name), std::forward<Value>(value));
  }
  Attribute& operator[](const std::string& name) { return edit()[name]; }
  void clear() { map_.reset(); }

 private:
  static const Attributes& noAttributes() {
    static const Attributes kEmpty;
    return kEmpty;
  }
  std::shared_ptr<Attributes> map_;
};

}  // namespace tessera::trust
