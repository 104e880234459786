#include "common/yaml_config.hpp"

#include <fstream>
#include <limits>
#include <sstream>

#include "common/duration.hpp"

namespace tessera {

namespace {
constexpr std::uintmax_t kMaxConfigBytes = 1 << 20;
}

Result<std::string> readConfigFile(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return fail(ErrorCode::kConfigInvalid,
                path.string() + ": cannot read configuration: " + ec.message());
  }
  if (size > kMaxConfigBytes) {
    return fail(ErrorCode::kConfigInvalid, path.string() + ": configuration is larger than 1 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    return fail(ErrorCode::kConfigInvalid, path.string() + ": cannot read configuration");
  }
  return text.str();
}

Result<ConfigNode> ConfigNode::loadFile(const std::filesystem::path& path) {
  auto text = readConfigFile(path);
  if (!text) {
    return std::move(text).error();
  }
  return loadString(*text, path.string());
}

Result<ConfigNode> ConfigNode::loadString(std::string_view text, std::string source) {
  auto src = std::make_shared<const std::string>(std::move(source));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kConfigInvalid,
                *src + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (root.IsNull()) {
    root = YAML::Node(YAML::NodeType::Map);
  }
  ConfigNode node(root, src, "");
  if (!root.IsMap()) {
    return node.errorAt("", "the document must be a mapping of fields");
  }
  return node;
}

std::string ConfigNode::fieldPath(std::string_view key) const {
  if (key.empty()) {
    return path_.empty() ? "(document)" : path_;
  }
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Error ConfigNode::errorAt(std::string_view key, std::string message) const {
  YAML::Mark mark = node_.Mark();
  if (!key.empty() && node_.IsMap()) {
    for (const auto& kv : node_) {
      if (kv.first.Scalar() == key) {
        mark = kv.first.Mark();
        break;
      }
    }
  }
  std::string where = *source_;
  if (mark.line >= 0) {
    where += ":" + std::to_string(mark.line + 1);
  }
  return Error{ErrorCode::kConfigInvalid, where + ": " + fieldPath(key) + ": " + message};
}

bool ConfigNode::has(std::string_view key) const {
  return node_.IsMap() && node_[std::string(key)].IsDefined() && !node_[std::string(key)].IsNull();
}

Result<ConfigNode> ConfigNode::child(std::string_view key) const {
  if (!has(key)) {
    return ConfigNode(YAML::Node(YAML::NodeType::Map), source_, fieldPath(key));
  }
  YAML::Node c = node_[std::string(key)];
  if (!c.IsMap()) {
    return errorAt(key, "must be a mapping of fields");
  }
  return ConfigNode(c, source_, fieldPath(key));
}

Result<std::vector<ConfigNode>> ConfigNode::children(std::string_view key,
                                                     std::size_t maxItems) const {
  std::vector<ConfigNode> out;
  if (!has(key)) {
    return out;
  }
  YAML::Node list = node_[std::string(key)];
  if (!list.IsSequence()) {
    return errorAt(key, "must be a list");
  }
  if (list.size() > maxItems) {
    return errorAt(key, "must have at most " + std::to_string(maxItems) + " entries");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = fieldPath(key) + "[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) {
      const auto mark = list[i].Mark();
      return Error{ErrorCode::kConfigInvalid,
                   *source_ + (mark.line >= 0 ? ":" + std::to_string(mark.line + 1) : "") + ": " +
                       path + ": must be a mapping of fields"};
    }
    out.push_back(ConfigNode(list[i], source_, path));
  }
  return out;
}

Result<YAML::Node> ConfigNode::scalar(std::string_view key) const {
  YAML::Node c = node_[std::string(key)];
  if (!c.IsScalar()) {
    return errorAt(key, "must be a single value");
  }
  return c;
}

Result<std::string> ConfigNode::requiredString(std::string_view key) const {
  if (!has(key)) {
    return errorAt(key, "is required");
  }
  auto s = scalar(key);
  if (!s) {
    return std::move(s).error();
  }
  if (s->Scalar().empty()) {
    return errorAt(key, "must not be empty");
  }
  return s->Scalar();
}

Result<std::string> ConfigNode::string(std::string_view key, std::string fallback) const {
  if (!has(key)) {
    return fallback;
  }
  auto s = scalar(key);
  if (!s) {
    return std::move(s).error();
  }
  return s->Scalar();
}

Result<std::int64_t> ConfigNode::integer(std::string_view key, std::int64_t fallback,
                                         std::int64_t min, std::int64_t max) const {
  if (!has(key)) {
    return fallback;
  }
  auto s = scalar(key);
  if (!s) {
    return std::move(s).error();
  }
  std::int64_t v = 0;
  try {
    v = s->as<std::int64_t>();
  } catch (const YAML::Exception&) {
    return errorAt(key, "'" + s->Scalar().substr(0, 40) + "' is not a whole number");
  }
  if (v < min || v > max) {
    return errorAt(
        key, std::to_string(v) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  return v;
}

Result<bool> ConfigNode::boolean(std::string_view key, bool fallback) const {
  if (!has(key)) {
    return fallback;
  }
  auto s = scalar(key);
  if (!s) {
    return std::move(s).error();
  }
  const std::string& v = s->Scalar();
  if (v == "true") {
    return true;
  }
  if (v == "false") {
    return false;
  }
  return errorAt(key, "'" + v.substr(0, 40) + "' is not true or false");
}

Result<std::chrono::milliseconds> ConfigNode::duration(std::string_view key,
                                                       std::chrono::milliseconds fallback) const {
  if (!has(key)) {
    return fallback;
  }
  auto s = scalar(key);
  if (!s) {
    return std::move(s).error();
  }
  auto d = parseDuration(s->Scalar());
  if (!d) {
    return errorAt(key, d.error().message);
  }
  return *d;
}

Result<std::vector<std::string>> ConfigNode::stringList(std::string_view key,
                                                        std::vector<std::string> fallback) const {
  if (!has(key)) {
    return fallback;
  }
  YAML::Node c = node_[std::string(key)];
  if (!c.IsSequence()) {
    return errorAt(key, "must be a list");
  }
  std::vector<std::string> out;
  for (const auto& item : c) {
    if (!item.IsScalar()) {
      return errorAt(key, "every item must be a single value");
    }
    out.push_back(item.Scalar());
  }
  return out;
}

Result<void> ConfigNode::rejectUnknown(std::initializer_list<std::string_view> allowed) const {
  if (!node_.IsMap()) {
    return {};
  }
  for (const auto& kv : node_) {
    const std::string& key = kv.first.Scalar();
    bool known = false;
    for (auto a : allowed) {
      known = known || a == key;
    }
    if (!known) {
      std::string list;
      for (auto a : allowed) {
        list += list.empty() ? "" : ", ";
        list += a;
      }
      return errorAt(key, "unknown field (known fields: " + list + ")");
    }
  }
  return {};
}

}  // namespace tessera
