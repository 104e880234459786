// writeJsonValue: an nlohmann::json value written through a JsonWriter. The text is the same as
// value.dump() for valid UTF-8 (bytes that are not become U+FFFD, as JsonWriter does). The hub
// puts small documents (a server workload's authentication block, a provider's outcome, a
// failed rule's details) into every access answer and event; nlohmann's dump() builds a
// serializer and reads the locale on each call, which costs more than writing them.
#pragma once

#include <nlohmann/json.hpp>

#include "common/json_writer.hpp"

namespace tessera {

void writeJsonValue(JsonWriter& w, const nlohmann::json& value);

}  // namespace tessera
