#include "model/yaml_documents.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>

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

// Builds JSON straight from the parser's events (no yaml-cpp node graph: for a 10,000-object file
// that graph costs more than the parsing itself), recording the line of every node.
class JsonBuilder : public YAML::EventHandler {
 public:
  JsonBuilder(const std::string& source, std::size_t nodeBudget)
      : source_(source), nodes_(nodeBudget) {}

  bool failed() const { return error_.has_value(); }
  Error error() const { return *error_; }
  std::vector<YamlDocument> takeDocuments() { return std::move(documents_); }

  void OnDocumentStart(const YAML::Mark&) override {
    frames_.clear();
    anchors_.clear();
    doc_ = YamlDocument();
    haveRoot_ = false;
  }

  void OnDocumentEnd() override {
    if (failed() || !haveRoot_ || doc_.value.is_null()) {
      return;  // an empty document, e.g. after a trailing ---
    }
    if (documents_.size() == kMaxYamlDocuments) {
      return fail(1, "more than " + std::to_string(kMaxYamlDocuments) + " documents");
    }
    documents_.push_back(std::move(doc_));
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    value(mark, nlohmann::json(nullptr), anchor, 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      return fail(line(mark), "unknown alias");
    }
    value(mark, it->second.first, 0, it->second.second);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
    if (failed()) {
      return;
    }
    if (!frames_.empty() && frames_.back().value.is_object() && !frames_.back().key) {
      auto& frame = frames_.back();
      if (frame.value.contains(text)) {
        return fail(line(mark), pointerToFieldPath(pointerAppend(frame.pointer, text)) +
                                    ": duplicate key '" + text + "'");
      }
      frame.key = text;
      frame.keyLine = line(mark);
      return;
    }
    value(mark, scalar(tag, text), anchor, 1);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, nlohmann::json::array(), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, nlohmann::json::object(), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    nlohmann::json value;
    std::string pointer;
    YAML::anchor_t anchor = 0;
    std::size_t nodes = 1;  // in this subtree, for aliases of it
    std::optional<std::string> key;
    int keyLine = 0;
  };

  static int line(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 1; }

  void fail(int at, const std::string& message) {
    if (!error_) {
      error_ =
          Error{ErrorCode::kConfigInvalid, source_ + ":" + std::to_string(at) + ": " + message};
    }
  }

  bool spend(const YAML::Mark& mark, std::size_t n) {
    if (n > nodes_) {
      fail(line(mark), "too many nodes (aliases expanding without bound?)");
      return false;
    }
    nodes_ -= n;
    return true;
  }

  // Where the next value goes: its pointer and line; false (and an error) for a non-scalar key.
  bool slot(const YAML::Mark& mark, std::string& pointer, int& at, bool scalarValue) {
    at = line(mark);
    if (frames_.empty()) {
      pointer.clear();
      return true;
    }
    auto& parent = frames_.back();
    if (parent.value.is_object()) {
      if (!parent.key) {
        if (!scalarValue) {
          fail(at, "a mapping key must be a plain value, not a mapping or sequence");
        } else {
          fail(at, "a mapping key must be a plain value, not null or an alias");
        }
        return false;
      }
      pointer = pointerAppend(parent.pointer, *parent.key);
      at = parent.keyLine;
    } else {
      pointer = pointerAppend(parent.pointer, parent.value.size());
    }
    return true;
  }

  void place(nlohmann::json v, std::size_t nodes) {
    if (frames_.empty()) {
      doc_.value = std::move(v);
      haveRoot_ = true;
      return;
    }
    auto& parent = frames_.back();
    parent.nodes += nodes;
    if (parent.value.is_object()) {
      parent.value[*parent.key] = std::move(v);
      parent.key.reset();
    } else {
      parent.value.push_back(std::move(v));
    }
  }

  void value(const YAML::Mark& mark, nlohmann::json v, YAML::anchor_t anchor, std::size_t nodes) {
    if (failed() || !spend(mark, nodes)) {
      return;
    }
    std::string pointer;
    int at = 0;
    if (!slot(mark, pointer, at, v.is_string() || v.is_number() || v.is_boolean())) {
      return;
    }
    doc_.lines.emplace(std::move(pointer), at);
    if (anchor != 0) {
      anchors_[anchor] = {v, nodes};
    }
    place(std::move(v), nodes);
  }

  void open(const YAML::Mark& mark, nlohmann::json container, YAML::anchor_t anchor) {
    if (failed() || !spend(mark, 1)) {
      return;
    }
    if (frames_.size() >= static_cast<std::size_t>(kMaxDepth)) {
      return fail(line(mark), "nested more than " + std::to_string(kMaxDepth) + " levels deep");
    }
    Frame frame;
    int at = 0;
    if (!slot(mark, frame.pointer, at, false)) {
      return;
    }
    doc_.lines.emplace(frame.pointer, at);
    frame.value = std::move(container);
    frame.anchor = anchor;
    frames_.push_back(std::move(frame));
  }

  void close() {
    if (failed() || frames_.empty()) {
      return;
    }
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    if (frame.anchor != 0) {
      anchors_[frame.anchor] = {frame.value, frame.nodes};
    }
    place(std::move(frame.value), frame.nodes);
  }

  static nlohmann::json scalar(const std::string& tag, const std::string& s) {
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

  const std::string& source_;
  std::size_t nodes_;  // left for the whole file
  std::optional<Error> error_;
  std::vector<Frame> frames_;
  std::map<YAML::anchor_t, std::pair<nlohmann::json, std::size_t>> anchors_;
  YamlDocument doc_;
  bool haveRoot_ = false;
  std::vector<YamlDocument> documents_;
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
  std::istringstream stream{std::string(text)};
  JsonBuilder builder(source, kMinNodeBudget + text.size());
  try {
    YAML::Parser parser(stream);
    while (!builder.failed() && parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kConfigInvalid,
                source + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (builder.failed()) {
    return builder.error();
  }
  return builder.takeDocuments();
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
