// Attributes of a client workload as a decision sees them: values verified by a trust provider
// ("k8s.namespace", "github.repository") and context the edge reported ("sourceIp", "hostname"),
// which nothing verified and every trace marks as such. Trust providers produce them; client
// workload matchers (src/policy) read them.
#pragma once

#include <map>
#include <string>

namespace tessera::trust {

struct Attribute {
  std::string value;
  bool verified = false;
  std::string source;  // the trust provider that verified it, or "context"
};

using Attributes = std::map<std::string, Attribute, std::less<>>;

}  // namespace tessera::trust
