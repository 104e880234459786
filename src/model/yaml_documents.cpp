#include "model/yaml_documents.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <set>

#include "model/field_errors.hpp"

namespace tessera::model {

namespace {
constexpr int kMaxDepth = 64;
// Aliases can multiply nodes ("billion laughs"). Without aliases a file has fewer nodes than
// bytes, so more than this many per file means aliases expanding without bound.
constexpr std::size_t kMinNodeBudget = 10'000;

bool equalsAny(const std::string& s, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (s == o) {
      return true;
    }
  }
  return false;
}

std::optional<nlohmann::json> plainInteger(const std::string& s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) {
    return std::nullopt;
  }
  for (std::size_t j = i; j < s.size(); ++j) {
    if (s[j] < '0' || s[j] > '9') {
      return std::nullopt;
    }
  }
  const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;  // out of range: stays a string
  }
  return nlohmann::json(n);
}

class Converter {
 public:
  Converter(const std::string& source, std::size_t& nodeBudget, YamlDocument& doc)
      : source_(source), nodes_(nodeBudget), doc_(doc) {}

  Result<nlohmann::json> convert(const YAML::Node& node, const std::string& pointer, int line,
                                 int depth) {
    if (nodes_ == 0) {
      return errorAt(line, "too many nodes (aliases expanding without bound?)");
    }
    if (depth > kMaxDepth) {
      return errorAt(line, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
    }
    --nodes_;
    doc_.lines.emplace(pointer, line);
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nlohmann::json(nullptr);
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        nlohmann::json out = nlohmann::json::array();
        std::size_t i = 0;
        for (const auto& item : node) {
          const int itemLine = item.Mark().line >= 0 ? item.Mark().line + 1 : line;
          TESSERA_DECLARE_OR_RETURN(
              auto value, convert(item, pointerAppend(pointer, i++), itemLine, depth + 1));
          out.push_back(std::move(value));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        nlohmann::json out = nlohmann::json::object();
        std::set<std::string> seen;
        for (const auto& kv : node) {
          const int keyLine = kv.first.Mark().line >= 0 ? kv.first.Mark().line + 1 : line;
          if (!kv.first.IsScalar()) {
            return errorAt(keyLine, "a mapping key must be a plain value, not a " +
                                        std::string(kv.first.IsMap() ? "mapping" : "sequence"));
          }
          const std::string& key = kv.first.Scalar();
          const std::string child = pointerAppend(pointer, key);
          if (!seen.insert(key).second) {
            return errorAt(keyLine, pointerToFieldPath(child) + ": duplicate key '" + key + "'");
          }
          TESSERA_DECLARE_OR_RETURN(auto value, convert(kv.second, child, keyLine, depth + 1));
          out[key] = std::move(value);
        }
        return out;
      }
    }
    return nlohmann::json(nullptr);
  }

 private:
  static nlohmann::json scalar(const YAML::Node& node) {
    const std::string& s = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") {
      return s;
    }
    if (tag != "?" && tag != "tag:yaml.org,2002:int" && tag != "tag:yaml.org,2002:bool" &&
        tag != "tag:yaml.org,2002:null") {
      return s;  // any other explicit tag: the text as it is
    }
    if (s.empty() || equalsAny(s, {"null", "Null", "NULL", "~"})) {
      return nullptr;
    }
    if (equalsAny(s, {"true", "True", "TRUE"})) {
      return true;
    }
    if (equalsAny(s, {"false", "False", "FALSE"})) {
      return false;
    }
    if (auto n = plainInteger(s)) {
      return *n;
    }
    return s;
  }

  Error errorAt(int line, const std::string& message) const {
    return Error{ErrorCode::kConfigInvalid, source_ + ":" + std::to_string(line) + ": " + message};
  }

  const std::string& source_;
  std::size_t& nodes_;  // left for the whole file
  YamlDocument& doc_;
};
}  // namespace

int YamlDocument::lineOf(std::string_view pointer) const {
  std::string p(pointer);
  while (true) {
    if (auto it = lines.find(p); it != lines.end()) {
      return it->second;
    }
    if (p.empty()) {
      return 1;
    }
    p.resize(p.rfind('/'));
  }
}

Result<std::vector<YamlDocument>> parseYamlDocuments(std::string_view text,
                                                     const std::string& source) {
  if (text.size() > kMaxYamlFileBytes) {
    return fail(ErrorCode::kConfigInvalid,
                source + ": larger than " + std::to_string(kMaxYamlFileBytes >> 20) + " MiB");
  }
  std::vector<YAML::Node> roots;
  try {
    roots = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kConfigInvalid,
                source + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  std::vector<YamlDocument> out;
  std::size_t nodeBudget = kMinNodeBudget + text.size();
  for (const auto& root : roots) {
    if (root.IsNull() || !root.IsDefined()) {
      continue;  // an empty document, e.g. after a trailing ---
    }
    if (out.size() == kMaxYamlDocuments) {
      return fail(ErrorCode::kConfigInvalid,
                  source + ": more than " + std::to_string(kMaxYamlDocuments) + " documents");
    }
    YamlDocument doc;
    Converter converter(source, nodeBudget, doc);
    const int line = root.Mark().line >= 0 ? root.Mark().line + 1 : 1;
    TESSERA_ASSIGN_OR_RETURN(doc.value, converter.convert(root, "", line, 0));
    out.push_back(std::move(doc));
  }
  return out;
}

std::string pointerToFieldPath(std::string_view pointer) {
  if (pointer.empty()) {
    return "(document)";
  }
  std::string out;
  while (!pointer.empty()) {
    pointer.remove_prefix(1);  // '/'
    const auto next = pointer.find('/');
    std::string token;
    for (std::size_t i = 0; i < pointer.substr(0, next).size(); ++i) {
      if (pointer[i] == '~' && i + 1 < pointer.size() &&
          (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        token += pointer[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        token += pointer[i];
      }
    }
    const bool index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
    if (index && !out.empty()) {
      out += "[" + token + "]";
    } else {
      out += (out.empty() ? "" : ".") + token;
    }
    pointer = next == std::string_view::npos ? std::string_view() : pointer.substr(next);
  }
  return out;
}

namespace {
bool needsQuotes(const std::string& s) {
  if (s.empty()) {
    return true;
  }
  const nlohmann::json typed = [&] {
    if (s == "null" || s == "Null" || s == "NULL" || s == "~") {
      return nlohmann::json(nullptr);
    }
    if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
      return nlohmann::json(true);
    }
    return plainInteger(s).value_or(nlohmann::json(s));
  }();
  if (!typed.is_string()) {
    return true;
  }
  // YAML 1.1 booleans and anything number-like (floats, hex, octal, .inf) for other readers.
  static const std::set<std::string, std::less<>> kOtherReaders = {
      "y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no",
      "No", "NO", "on",  "On",  "ON",  "off", "Off", "OFF"};
  if (kOtherReaders.contains(s)) {
    return true;
  }
  // Number-like: 1.5, 1e3, 0x1F, 0o17, .inf, 19:00 (YAML 1.1 base 60), 2026-01-31 (a timestamp).
  const char c = s.front();
  const bool numberStart = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.';
  return numberStart &&
         s.find_first_not_of("0123456789abcdefABCDEFxXoO._:+-eEinfINFnaNA") == std::string::npos;
}

void emitValue(YAML::Emitter& out, const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::object:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [key, value] : v.items()) {
        out << YAML::Key;
        if (needsQuotes(key)) {
          out << YAML::DoubleQuoted;
        }
        out << key << YAML::Value;
        emitValue(out, value);
      }
      out << YAML::EndMap;
      return;
    case nlohmann::ordered_json::value_t::array:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : v) {
        emitValue(out, item);
      }
      out << YAML::EndSeq;
      return;
    case nlohmann::ordered_json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (needsQuotes(s) || s.find('\n') != std::string::npos) {
        out << YAML::DoubleQuoted;
      }
      out << s;
      return;
    }
    case nlohmann::ordered_json::value_t::boolean:
      out << v.get<bool>();
      return;
    case nlohmann::ordered_json::value_t::number_integer:
      out << v.get<std::int64_t>();
      return;
    case nlohmann::ordered_json::value_t::number_unsigned:
      out << v.get<std::uint64_t>();
      return;
    case nlohmann::ordered_json::value_t::number_float:
      out << v.dump();
      return;
    default:
      out << YAML::Null;
      return;
  }
}
}  // namespace

std::string toYaml(const nlohmann::ordered_json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetNullFormat(YAML::LowerNull);
  out.SetBoolFormat(YAML::TrueFalseBool);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  emitValue(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') {
    text += '\n';
  }
  return text;
}

}  // namespace tessera::model
