// JsonWriter: appends JSON text to a string as it goes, without building a document tree. The
// hub's hot paths (the access API's answers, access events) write what they know directly
// instead of assembling an nlohmann::json and dumping it: a tree costs an allocation per node.
//
//   std::string out;
//   JsonWriter w(out);
//   w.beginObject().member("outcome", "authorized").key("port").value(443).endObject();
//
// Strings are escaped like nlohmann::json::dump (", \, control characters); bytes that are not
// UTF-8 become U+FFFD, so the text is always valid JSON. The caller pairs begin and end calls.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tessera {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  // An object member's name; the next call writes its value.
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) JsonWriter& value(T number) {
    separate();
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, number).ptr);
    return *this;
  }
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // A value that already is JSON text (e.g. a small nlohmann document's dump()).
  JsonWriter& raw(std::string_view json);
  // Members of the open object that already are JSON text: `"a":1,"b":2` (no braces, not
  // empty), for members rendered once and written into several documents.
  JsonWriter& rawMembers(std::string_view members);

  template <typename T>
  JsonWriter& member(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

 private:
  // The comma the next member or element needs (',' or 0), noting that one was written.
  char separator();
  void separate();
  void open(char bracket);
  void close(char bracket);

  std::string& out_;
  // Per open object or array, whether it has a member or element yet: bit d of nonEmpty_ for
  // depth d < 64 (no allocation for the documents the hub writes), deeper levels in deeper_.
  std::size_t depth_ = 0;
  std::uint64_t nonEmpty_ = 0;
  std::vector<bool> deeper_;
  bool afterKey_ = false;
};

// Appends `text` as a JSON string literal (with quotes).
void appendJsonString(std::string& out, std::string_view text);

}  // namespace tessera
