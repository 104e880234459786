#include "policy/server_workload_index.hpp"

#include <cctype>

namespace tessera::policy {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}
}  // namespace

ServerWorkloadIndex::ServerWorkloadIndex(const model::ConfigSnapshot& snapshot) {
  // list() is ordered by name, so each bucket is too: the first fit is the stable choice.
  for (const auto* o : snapshot.list(model::Kind::kServerWorkload)) {
    const std::string host = lower(o->spec.value("host", ""));
    Entry e{o, static_cast<std::uint16_t>(o->spec.value("port", 0)), o->spec.value("protocol", "")};
    if (host.starts_with("*.")) {
      wildcard_[host.substr(1)].push_back(std::move(e));
    } else {
      exact_[host].push_back(std::move(e));
    }
  }
}

const model::ConfigObject* ServerWorkloadIndex::first(const std::vector<Entry>& entries,
                                                      const Target& t) {
  for (const auto& e : entries) {
    if (e.port == t.port && e.protocol == t.protocol) {
      return e.object;
    }
  }
  return nullptr;
}

const model::ConfigObject* ServerWorkloadIndex::match(const Target& target) const {
  std::string host = lower(target.host);
  if (!host.empty() && host.back() == '.') {
    host.pop_back();
  }
  if (auto it = exact_.find(host); it != exact_.end()) {
    if (const auto* o = first(it->second, target)) {
      return o;
    }
  }
  const auto dot = host.find('.');
  if (dot == std::string::npos || dot == 0) {
    return nullptr;
  }
  if (auto it = wildcard_.find(host.substr(dot)); it != wildcard_.end()) {
    return first(it->second, target);
  }
  return nullptr;
}

}  // namespace tessera::policy
