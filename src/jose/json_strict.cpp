#include "jose/json_strict.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tessera::jose {
namespace {

using nlohmann::json;

// Builds the DOM like nlohmann's own SAX DOM parser, plus duplicate and depth checks.
class StrictSaxBuilder {
 public:
  explicit StrictSaxBuilder(std::size_t maxDepth) : maxDepth_(maxDepth) { stack_.reserve(8); }

  bool null() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number_integer(json::number_integer_t v) { return put(json(v)); }    // NOLINT
  bool number_unsigned(json::number_unsigned_t v) { return put(json(v)); }  // NOLINT
  bool number_float(json::number_float_t v, const json::string_t&) {        // NOLINT
    return put(json(v));
  }
  bool string(json::string_t& v) { return put(json(std::move(v))); }
  bool binary(json::binary_t&) {
    error_ = makeError(ErrorCode::kJsonInvalid, "JSON: binary values are not allowed");
    return false;
  }
  bool start_object(std::size_t) {  // NOLINT
    if (!enter()) {
      return false;
    }
    json* v = place(json(json::value_t::object));
    stack_.push_back(v);
    return true;
  }
  bool key(json::string_t& k) {
    auto& obj = stack_.back()->get_ref<json::object_t&>();
    auto [it, inserted] = obj.emplace(std::move(k), nullptr);
    if (!inserted) {
      std::string name = it->first.substr(0, 64);
      for (char& c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
          c = '?';
        }
      }
      error_ = makeError(
          ErrorCode::kJsonDuplicateMember,
          "JSON: duplicate member \"" + name + "\" at depth " + std::to_string(stack_.size()));
      return false;
    }
    member_ = &it->second;
    return true;
  }
  bool end_object() {  // NOLINT
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {  // NOLINT
    if (!enter()) {
      return false;
    }
    json* v = place(json(json::value_t::array));
    stack_.push_back(v);
    return true;
  }
  bool end_array() {  // NOLINT
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,  // NOLINT
                   const nlohmann::detail::exception& ex) {
    if (!error_) {
      std::string what = ex.what();
      // nlohmann appends "; last read: '<input>'": keep the input out of the message.
      if (auto cut = what.find("; last read"); cut != std::string::npos) {
        what.resize(cut);
      }
      if (auto cut = what.find("] "); cut != std::string::npos) {
        what.erase(0, cut + 2);
      }
      error_ = makeError(ErrorCode::kJsonInvalid,
                         "JSON: " + what + " (byte " + std::to_string(position) + ")");
    }
    return false;
  }

  json& root() { return root_; }
  std::optional<Error>& error() { return error_; }

 private:
  bool enter() {
    if (stack_.size() + 1 > maxDepth_) {
      error_ = makeError(ErrorCode::kJsonTooDeep,
                         "JSON: nesting deeper than " + std::to_string(maxDepth_) + " levels");
      return false;
    }
    return true;
  }
  json* place(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      auto& arr = top->get_ref<json::array_t&>();
      arr.push_back(std::move(v));
      return &arr.back();
    }
    *member_ = std::move(v);
    return member_;
  }
  bool put(json&& v) {
    place(std::move(v));
    return true;
  }

  std::size_t maxDepth_;
  json root_;
  std::vector<json*> stack_;
  json* member_ = nullptr;
  std::optional<Error> error_;
};

// The DOM of a value the scanner has validated, built from its raw text: strings are copied in
// runs (nlohmann's lexer appends them a character at a time, the bulk of a token-carrying
// body's parse). Numbers go through nlohmann's own parser, so that they get exactly its types;
// it throws where its SAX parse would fail (a float out of range), and the caller falls back.
json domOfScanned(JsonKind kind, std::string_view raw, std::string& scratch) {
  switch (kind) {
    case JsonKind::kNull:
      return json(nullptr);
    case JsonKind::kBool:
      return json(raw == "true");
    case JsonKind::kNumber:
      return json::parse(raw.begin(), raw.end());
    case JsonKind::kString:
      return json(std::string(jsonStringValue(raw, scratch)));
    case JsonKind::kArray: {
      json out(json::value_t::array);
      auto& array = out.get_ref<json::array_t&>();
      for (const auto& [elementKind, elementRaw] : jsonArrayElements(raw)) {
        array.push_back(domOfScanned(elementKind, elementRaw, scratch));
      }
      return out;
    }
    case JsonKind::kObject: {
      JsonObjectScan members;
      // Valid already: the limits are the whole document's, checked by the first scan.
      if (!scanStrictJson(raw, JsonLimits{raw.size(), std::size_t{1} << 20}, &members)) {
        throw std::logic_error("JSON: a scanned object does not scan again");
      }
      json out(json::value_t::object);
      auto& object = out.get_ref<json::object_t&>();
      for (const auto& member : members.members()) {
        object.emplace(std::string(member.name), domOfScanned(member.kind, member.raw, scratch));
      }
      return out;
    }
  }
  throw std::logic_error("JSON: unknown kind");
}

}  // namespace

Result<nlohmann::json> parseStrictJsonWithSax(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.maxBytes) {
    return fail(ErrorCode::kPayloadTooLarge, "JSON: " + std::to_string(text.size()) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(limits.maxBytes));
  }
  if (text.starts_with("\xef\xbb\xbf")) {
    return fail(ErrorCode::kJsonInvalid, "JSON: byte order mark is not allowed (byte 0)");
  }
  StrictSaxBuilder builder(limits.maxDepth);
  const bool ok = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok || builder.error()) {
    if (builder.error()) {
      return std::move(*builder.error());
    }
    return fail(ErrorCode::kJsonInvalid, "JSON: invalid document");
  }
  // nlohmann's lexer takes a NUL byte outside a string for the end of input and ignores what
  // follows; any error before it was reported above, so a NUL here is trailing data.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return fail(ErrorCode::kJsonInvalid,
                "JSON: NUL byte outside a string (byte " + std::to_string(nul) + ")");
  }
  return std::move(builder.root());
}

Result<nlohmann::json> parseStrictJson(std::string_view text, const JsonLimits& limits) {
  // The scanner validates by the same rules without nlohmann's per-character lexing; the DOM is
  // then built from its spans. Whatever it refuses, or what cannot be built, is parsed by the SAX
  // builder, whose error is the one reported (the same messages as always).
  JsonObjectScan top;
  const auto kind = scanStrictJson(text, limits, &top);
  if (kind) {
    try {
      std::string scratch;
      if (*kind != JsonKind::kObject) {
        // The value without the whitespace around it (JSON's four characters).
        constexpr std::string_view kWhitespace = " \t\r\n";
        const auto first = text.find_first_not_of(kWhitespace);
        const auto last = text.find_last_not_of(kWhitespace);
        return domOfScanned(*kind, text.substr(first, last - first + 1), scratch);
      }
      json out(json::value_t::object);
      auto& object = out.get_ref<json::object_t&>();
      for (const auto& member : top.members()) {
        object.emplace(std::string(member.name), domOfScanned(member.kind, member.raw, scratch));
      }
      return out;
    } catch (const json::exception&) {
      // e.g. a number out of double's range: nlohmann refuses it; so does the SAX path below.
    }
  }
  return parseStrictJsonWithSax(text, limits);
}

std::string_view jsonKindName(JsonKind kind) noexcept {
  switch (kind) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kBool:
      return "boolean";
    case JsonKind::kNumber:
      return "number";
    case JsonKind::kString:
      return "string";
    case JsonKind::kArray:
      return "array";
    case JsonKind::kObject:
      return "object";
  }
  return "value";
}

}  // namespace tessera::jose
