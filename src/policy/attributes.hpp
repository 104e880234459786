// Attributes of a client workload as a decision sees them: values verified by a trust provider
// ("k8s.namespace", "github.repository") and context the edge reported ("sourceIp", "hostname"),
// which nothing verified and every trace marks as such. Filled by the access pipeline; read by
// client workload matchers and trust provider rules.
#pragma once

#include <map>
#include <string>

namespace tessera::policy {

struct Attribute {
  std::string value;
  bool verified = false;
  std::string source;  // the trust provider that verified it, or "context"
};

using Attributes = std::map<std::string, Attribute, std::less<>>;

}  // namespace tessera::policy
