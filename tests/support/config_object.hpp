// A configuration object built in code, for tests and benchmarks that compile a snapshot without
// going through the admin API's validation.
#pragma once

#include <string>
#include <utility>

#include "model/config_object.hpp"

namespace tessera::testing {

inline model::ConfigObject configObject(model::Kind kind, const std::string& name,
                                        nlohmann::json spec) {
  model::ConfigObject o;
  o.kind = kind;
  o.metadata.name = name;
  o.spec = std::move(spec);
  return o;
}

}  // namespace tessera::testing
