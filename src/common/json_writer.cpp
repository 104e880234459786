#include "common/json_writer.hpp"

#include <cstdint>
#include <cstring>

#include "common/utf8.hpp"

namespace tessera {

namespace {
constexpr char kHex[] = "0123456789abcdef";

// Whether any of the 8 bytes of `word` needs more than a copy: a control character, '"', '\\'
// or a byte of a multi-byte UTF-8 sequence. Tokens and credentials are long runs of plain
// characters, and testing eight at a time makes writing them several times faster.
bool anyNeedsEscape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto hasZero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t control = (word - 0x20 * kOnes) & ~word & kHigh;
  return (control | hasZero(word ^ ('"' * kOnes)) | hasZero(word ^ ('\\' * kOnes)) |
          (word & kHigh)) != 0;
}

// How many bytes from `from` need no escaping.
std::size_t plainRun(std::string_view text, std::size_t from) {
  std::size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (anyNeedsEscape(word)) {
      break;
    }
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
      break;
    }
  }
  return i - from;
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    // Runs of characters that need no escaping are copied at once.
    const std::size_t run = i + plainRun(text, i);
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) {
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8SequenceLength(text.substr(i));
      if (n == 0) {
        out.append("\\ufffd");
        ++i;
      } else {
        out.append(text.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escaped, sizeof escaped);
      }
    }
    ++i;
  }
  out.push_back('"');
}

void JsonWriter::separate() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (depth_ == 0) {
    return;
  }
  const std::size_t level = depth_ - 1;
  bool hadOne = false;
  if (level < 64) {
    const std::uint64_t bit = std::uint64_t{1} << level;
    hadOne = (nonEmpty_ & bit) != 0;
    nonEmpty_ |= bit;
  } else {
    hadOne = deeper_[level - 64];
    deeper_[level - 64] = true;
  }
  if (hadOne) {
    out_.push_back(',');
  }
}

void JsonWriter::open(char bracket) {
  separate();
  out_.push_back(bracket);
  if (depth_ < 64) {
    nonEmpty_ &= ~(std::uint64_t{1} << depth_);
  } else {
    deeper_.push_back(false);
  }
  ++depth_;
}

void JsonWriter::close(char bracket) {
  out_.push_back(bracket);
  --depth_;
  if (depth_ >= 64) {
    deeper_.pop_back();
  }
}

JsonWriter& JsonWriter::beginObject() {
  open('{');
  return *this;
}

JsonWriter& JsonWriter::endObject() {
  close('}');
  return *this;
}

JsonWriter& JsonWriter::beginArray() {
  open('[');
  return *this;
}

JsonWriter& JsonWriter::endArray() {
  close(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  appendJsonString(out_, name);
  out_.push_back(':');
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  separate();
  appendJsonString(out_, text);
  return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
  separate();
  out_.append(flag ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_.append(json);
  return *this;
}

JsonWriter& JsonWriter::rawMembers(std::string_view members) {
  // As one element: a comma before it when members precede, and one before the next.
  separate();
  out_.append(members);
  return *this;
}

}  // namespace tessera
