#include "common/json_writer.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/utf8.hpp"

namespace tessera {

namespace {
constexpr char kHex[] = "0123456789abcdef";

// Bytes that need more than a copy: control characters, '"', '\\' and the bytes of multi-byte
// UTF-8 sequences (checked, and replaced when invalid).
constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> table{};
  for (std::size_t c = 0; c < 0x20; ++c) {
    table[c] = true;
  }
  for (std::size_t c = 0x80; c < 0x100; ++c) {
    table[c] = true;
  }
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

// Whether any of the 8 bytes of `word` needs more than a copy (see kSpecial).
bool anyNeedsEscape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto hasZero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t control = (word - 0x20 * kOnes) & ~word & kHigh;
  return (control | hasZero(word ^ ('"' * kOnes)) | hasZero(word ^ ('\\' * kOnes)) |
          (word & kHigh)) != 0;
}

std::uint64_t loadWord(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// The first byte from `from` that kSpecial marks, or `n`.
std::size_t firstSpecial(const char* p, std::size_t from, std::size_t n) {
  while (from < n && !kSpecial[static_cast<unsigned char>(p[from])]) {
    ++from;
  }
  return from;
}

// How many bytes from the start of `text` need no escaping. Hub documents are mostly short
// plain strings (names, times, ids) and a few long ones (tokens, credentials), so the common
// answer is "all of them": sixteen bytes are tested at a time where SSE2 is there (every
// x86-64), eight otherwise, and a tail shorter than that by one more test that overlaps what
// was already tested; only a string of under eight bytes goes a byte at a time.
std::size_t plainRun(std::string_view text) {
  const char* p = text.data();
  const std::size_t n = text.size();
  if (n < 8) {
    return firstSpecial(p, 0, n);
  }
#ifdef __SSE2__
  if (n >= 16) {
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    // A signed compare: bytes from 0x80 are negative, so one test finds both the control
    // characters and the bytes of multi-byte sequences.
    const auto specialMask = [&](std::size_t at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
      return static_cast<unsigned>(_mm_movemask_epi8(
          _mm_or_si128(_mm_cmplt_epi8(v, space),
                       _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)))));
    };
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      if (const unsigned mask = specialMask(i); mask != 0) {
        return i + static_cast<std::size_t>(__builtin_ctz(mask));
      }
    }
    if (i == n) {
      return n;
    }
    const std::size_t last = n - 16;  // overlaps bytes already found plain
    const unsigned mask = specialMask(last);
    return mask == 0 ? n : last + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (anyNeedsEscape(loadWord(p + i))) {
      return firstSpecial(p, i, n);
    }
  }
  if (i == n || !anyNeedsEscape(loadWord(p + n - 8))) {
    return n;
  }
  return firstSpecial(p, i, n);
}

// Appends the escaped form of `text`, which starts with a byte that needs one.
void appendEscaped(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t run = i + plainRun(text.substr(i));
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
}

// Appends `lead` (unless 0), `text` as a JSON string literal, then `trail` (unless 0). A string
// that needs no escaping, nearly all of them, takes one append of its final size.
void appendQuoted(std::string& out, char lead, std::string_view text, char trail) {
  const std::size_t plain = plainRun(text);
  const std::size_t at = out.size();
  const std::size_t head = lead != 0 ? 2 : 1;
  if (plain == text.size()) {
    const char opening[] = {lead, '"'};
    const char closing[] = {'"', trail};
    out.append(lead != 0 ? opening : opening + 1, head);
    out.append(text);
    out.append(closing, trail != 0 ? 2 : 1);
    return;
  }
  out.reserve(at + head + text.size() + 2 + (text.size() - plain) / 2);
  if (lead != 0) {
    out.push_back(lead);
  }
  out.push_back('"');
  out.append(text.data(), plain);
  appendEscaped(out, text.substr(plain));
  out.push_back('"');
  if (trail != 0) {
    out.push_back(trail);
  }
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  appendQuoted(out, 0, text, 0);
}

char JsonWriter::separator() {
  if (afterKey_) {
    afterKey_ = false;
    return 0;
  }
  if (depth_ == 0) {
    return 0;
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
  return hadOne ? ',' : 0;
}

void JsonWriter::separate() {
  if (const char comma = separator(); comma != 0) {
    out_.push_back(comma);
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
  appendQuoted(out_, separator(), name, ':');
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  appendQuoted(out_, separator(), text, 0);
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
