#include "common/json_value_writer.hpp"

namespace tessera {

void writeJsonValue(JsonWriter& w, const nlohmann::json& value) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::object:
      w.beginObject();
      for (const auto& [key, member] : value.items()) {
        w.key(key);
        writeJsonValue(w, member);
      }
      w.endObject();
      return;
    case Type::array:
      w.beginArray();
      for (const auto& element : value) {
        writeJsonValue(w, element);
      }
      w.endArray();
      return;
    case Type::string:
      w.value(value.get_ref<const std::string&>());
      return;
    case Type::boolean:
      w.value(value.get<bool>());
      return;
    case Type::number_integer:
      w.value(value.get<std::int64_t>());
      return;
    case Type::number_unsigned:
      w.value(value.get<std::uint64_t>());
      return;
    case Type::number_float:
      // nlohmann's shortest round-trip form, kept exactly; rare in these documents.
      w.raw(value.dump());
      return;
    case Type::null:
    case Type::discarded:
    case Type::binary:
      w.null();
      return;
  }
}

}  // namespace tessera
