// libFuzzer target for the JSON writer of the hub's answers and access events. Its string
// escaper tests many bytes at a time (SIMD, overlapping tails): for any bytes it must give what a
// byte-at-a-time escaper gives, and a document written from any strings must parse back to
// them (valid UTF-8 unchanged, anything else with U+FFFD in its place).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_writer.hpp"
#include "common/utf8.hpp"

namespace {

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

// The escaping JsonWriter documents, one byte at a time.
std::string referenceQuoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t n = tessera::utf8SequenceLength(text.substr(i));
      out += n == 0 ? std::string("\\ufffd") : std::string(text.substr(i, n));
      i += n == 0 ? 1 : n;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

bool isUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = tessera::utf8SequenceLength(text.substr(i));
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The whole input as one string, after text already in the buffer.
  std::string quoted = "[";
  tessera::appendJsonString(quoted, input);
  check(quoted == "[" + referenceQuoted(input));

  // Pieces split at '|' as array elements and as member names and values.
  std::vector<std::string_view> pieces;
  for (std::size_t start = 0;;) {
    const std::size_t bar = input.find('|', start);
    pieces.push_back(input.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos) {
      break;
    }
    start = bar + 1;
  }
  std::string out;
  tessera::JsonWriter w(out);
  w.beginObject().key("values").beginArray();
  for (const auto piece : pieces) {
    w.value(piece);
  }
  w.endArray().key("members").beginArray();
  for (const auto piece : pieces) {
    w.beginObject().member(piece, piece).endObject();
  }
  w.endArray().endObject();

  const auto parsed = nlohmann::json::parse(out, nullptr, false);
  check(!parsed.is_discarded());
  const auto& values = parsed.at("values");
  const auto& members = parsed.at("members");
  check(values.size() == pieces.size() && members.size() == pieces.size());
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto& value = values[i].get_ref<const std::string&>();
    check(members[i].size() == 1);
    const auto member = members[i].begin();
    check(member.key() == value && member.value() == value);
    if (isUtf8(pieces[i])) {
      check(value == pieces[i]);
    } else {
      check(value.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
    }
  }
  return 0;
}
