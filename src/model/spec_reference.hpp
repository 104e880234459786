// The configuration reference for every kind and type, rendered as Markdown from the same
// schemas that validate objects, so the reference cannot drift from what the hub accepts.
// `tessera reference` prints it; docs/reference/objects.md is its committed copy, checked by a
// test.
#pragma once

#include <string>

#include "model/spec_registry.hpp"

namespace tessera::model {

std::string renderSpecReference(const SpecRegistry& registry);

}  // namespace tessera::model
