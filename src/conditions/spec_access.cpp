#include "conditions/spec_access.hpp"

namespace tessera::conditions::detail {

Error specError(const std::string& pointer, const std::string& reason) {
  Error error = fail(ErrorCode::kInvalidArgument, pointer + ": " + reason);
  error.fields.push_back(FieldError{pointer, reason});
  return error;
}

Result<std::string> stringAt(const nlohmann::json& object, const std::string& key,
                             const std::string& pointer) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return specError(pointer + "/" + key, "must be a string");
  }
  return it->get<std::string>();
}

Result<std::vector<std::string>> stringsAt(const nlohmann::json& object, const std::string& key,
                                           const std::string& pointer) {
  std::vector<std::string> out;
  const auto it = object.find(key);
  if (it == object.end()) {
    return out;
  }
  if (!it->is_array()) {
    return specError(pointer + "/" + key, "must be an array of strings");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& item = (*it)[i];
    if (!item.is_string()) {
      return specError(pointer + "/" + key + "/" + std::to_string(i), "must be a string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string quoted(std::string_view untrusted) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "'";
  for (std::size_t i = 0; i < untrusted.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(untrusted[i]);
    out += (c >= 0x20 && c < 0x7f && c != '\'') ? static_cast<char>(c) : '?';
  }
  if (untrusted.size() > kMaxShown) {
    out += "...";
  }
  return out + "'";
}

}  // namespace tessera::conditions::detail
