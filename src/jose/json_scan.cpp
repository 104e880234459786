// The allocation-light strict JSON scanner behind scanStrictJson (see json_strict.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/hex_digit.hpp"
#include "common/utf8.hpp"
#include "jose/json_strict.hpp"

namespace tessera::jose {
namespace {
// Depth allowed when text validated earlier (under its own, smaller limit) is scanned again to
// read it: deeper than any such limit, so the rescan never refuses what was accepted.
constexpr std::size_t kRescanDepth = 256;

// Equality for member names, which are short: inline rather than through memcmp.
inline bool sameName(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  return true;
}

// Bytes that end the plain-ASCII fast path inside a string: '"', '\\', controls and non-ASCII.
constexpr std::array<bool, 256> makeStringStops() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<std::size_t>(c)] = c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
  }
  return t;
}
constexpr auto kStringStops = makeStringStops();

}  // namespace

class JsonScanner {
 public:
  JsonScanner(std::string_view text, std::size_t maxDepth, JsonObjectScan* topLevel)
      : begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        maxDepth_(maxDepth),
        top_(topLevel),
        keys_(keyStack()) {
    keys_.clear();
  }

  Result<JsonKind> run() {
    skipWs();
    JsonKind kind = JsonKind::kNull;
    if (!value(kind)) {
      return std::move(error_);
    }
    skipWs();
    if (p_ != end_) {
      invalid("unexpected data after the JSON value");
      return std::move(error_);
    }
    return kind;
  }

  // For jsonArrayElements on already valid input.
  bool arrayElements(std::vector<std::pair<JsonKind, std::string_view>>& out) {
    skipWs();
    if (p_ == end_ || *p_ != '[') {
      return false;
    }
    ++p_;
    skipWs();
    if (p_ != end_ && *p_ == ']') {
      return true;
    }
    for (;;) {
      skipWs();
      const char* start = p_;
      JsonKind kind = JsonKind::kNull;
      if (!value(kind)) {
        return false;
      }
      out.emplace_back(kind, std::string_view(start, static_cast<std::size_t>(p_ - start)));
      skipWs();
      if (p_ == end_) {
        return false;
      }
      if (*p_ == ']') {
        return true;
      }
      if (*p_++ != ',') {
        return false;
      }
    }
  }

 private:
  bool fail(ErrorCode code, std::string message) {
    if (!failed_) {
      failed_ = true;
      error_ = makeError(code, std::move(message));
    }
    return false;
  }
  bool invalid(const char* what) {
    return fail(ErrorCode::kJsonInvalid,
                std::string("JSON: ") + what + " (byte " + std::to_string(p_ - begin_) + ")");
  }

  void skipWs() noexcept {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  bool value(JsonKind& kind) {
    if (p_ == end_) {
      return invalid("unexpected end of input");
    }
    switch (*p_) {
      case '{':
        kind = JsonKind::kObject;
        return object();
      case '[':
        kind = JsonKind::kArray;
        return array();
      case '"': {
        kind = JsonKind::kString;
        bool escaped = false;
        return string(escaped);
      }
      case 't':
        kind = JsonKind::kBool;
        return literal("true");
      case 'f':
        kind = JsonKind::kBool;
        return literal("false");
      case 'n':
        kind = JsonKind::kNull;
        return literal("null");
      default:
        kind = JsonKind::kNumber;
        return number();
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return invalid("invalid literal");
    }
    p_ += word.size();
    return true;
  }

  static bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }

  bool number() {
    const char* start = p_;
    bool plainInteger = true;
    if (p_ != end_ && *p_ == '-') {
      ++p_;
    }
    if (p_ == end_ || !isDigit(*p_)) {
      return invalid("invalid value");
    }
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && isDigit(*p_)) {
        ++p_;
      }
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      plainInteger = false;
      if (p_ == end_ || !isDigit(*p_)) {
        return invalid("invalid number");
      }
      while (p_ != end_ && isDigit(*p_)) {
        ++p_;
      }
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      plainInteger = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) {
        ++p_;
      }
      if (p_ == end_ || !isDigit(*p_)) {
        return invalid("invalid number");
      }
      while (p_ != end_ && isDigit(*p_)) {
        ++p_;
      }
    }
    // Like nlohmann (whose DOM LazyJson builds), reject numbers that overflow a double.
    if (!plainInteger || p_ - start > 18) {
      const std::string text(start, p_);
      if (!std::isfinite(std::strtod(text.c_str(), nullptr))) {
        return invalid("number out of range");
      }
    }
    return true;
  }

  bool hex4(unsigned& out) {
    if (end_ - p_ < 4) {
      return invalid("truncated \\u escape");
    }
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hexDigitValue(p_[i]);
      if (h < 0) {
        return invalid("invalid \\u escape");
      }
      out = (out << 4) | static_cast<unsigned>(h);
    }
    p_ += 4;
    return true;
  }

  // Validates one UTF-8 sequence starting at p_ (a byte >= 0x80), per RFC 3629.
  bool utf8() {
    const std::size_t length = utf8SequenceLength(std::string_view(p_, end_ - p_));
    if (length == 0) {
      return invalid("invalid UTF-8 in string");
    }
    p_ += length;
    return true;
  }

  // p_ at the opening quote; leaves p_ after the closing quote.
  bool string(bool& escaped) {
    ++p_;
    for (;;) {
      // Fast path over plain ASCII.
#if defined(__SSE2__)
      // 16 bytes at a time: stop at '"', '\\', or any byte < 0x20 as a signed char (controls
      // and every non-ASCII byte).
      const __m128i quote = _mm_set1_epi8('"');
      const __m128i backslash = _mm_set1_epi8('\\');
      const __m128i space = _mm_set1_epi8(0x20);
      while (end_ - p_ >= 16) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
        const __m128i stops = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
            _mm_cmplt_epi8(chunk, space));
        const int mask = _mm_movemask_epi8(stops);
        if (mask != 0) {
          p_ += __builtin_ctz(static_cast<unsigned>(mask));
          break;
        }
        p_ += 16;
      }
#endif
      while (p_ != end_ && !kStringStops[static_cast<unsigned char>(*p_)]) {
        ++p_;
      }
      if (p_ == end_) {
        return invalid("unterminated string");
      }
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) {
        return invalid("control character in string");
      }
      if (c >= 0x80) {
        if (!utf8()) {
          return false;
        }
        continue;
      }
      // Backslash.
      escaped = true;
      ++p_;
      if (p_ == end_) {
        return invalid("unterminated string");
      }
      const char e = *p_++;
      if (e == 'u') {
        unsigned cp = 0;
        if (!hex4(cp)) {
          return false;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
          return invalid("lone low surrogate in \\u escape");
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          unsigned low = 0;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
            return invalid("high surrogate not followed by a low surrogate");
          }
          p_ += 2;
          if (!hex4(low)) {
            return false;
          }
          if (low < 0xdc00 || low > 0xdfff) {
            return invalid("high surrogate not followed by a low surrogate");
          }
        }
      } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
        return invalid("invalid escape in string");
      }
    }
  }

  bool enter() {
    if (++depth_ > maxDepth_) {
      return fail(ErrorCode::kJsonTooDeep,
                  "JSON: nesting deeper than " + std::to_string(maxDepth_) + " levels");
    }
    return true;
  }

  bool checkDuplicate(std::size_t objectStart, std::string_view name) {
    // Small objects: linear; large ones are checked by sorting when they close.
    const std::size_t count = keys_.size() - objectStart;
    if (count <= kLinearKeys) {
      for (std::size_t i = objectStart; i < keys_.size(); ++i) {
        if (sameName(keys_[i], name)) {
          return duplicate(name);
        }
      }
    }
    keys_.push_back(name);
    return true;
  }
  bool duplicate(std::string_view name) {
    std::string shown(name.substr(0, 64));
    for (char& c : shown) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
        c = '?';
      }
    }
    return fail(ErrorCode::kJsonDuplicateMember,
                "JSON: duplicate member \"" + shown + "\" at depth " + std::to_string(depth_));
  }

  bool object() {
    if (!enter()) {
      return false;
    }
    const bool isTop = depth_ == 1 && top_ != nullptr;
    if (isTop) {
      // Claims and request bodies have a dozen or so members: one allocation, not five.
      top_->members_.reserve(16);
    }
    ++p_;
    const std::size_t objectStart = keys_.size();
    skipWs();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      --depth_;
      return true;
    }
    for (;;) {
      skipWs();
      if (p_ == end_ || *p_ != '"') {
        return invalid("expected a member name");
      }
      const char* nameStart = p_;
      bool escaped = false;
      if (!string(escaped)) {
        return false;
      }
      std::string_view name(nameStart + 1, static_cast<std::size_t>(p_ - nameStart - 2));
      if (escaped) {
        std::string decoded;
        jsonStringValue(std::string_view(nameStart, static_cast<std::size_t>(p_ - nameStart)),
                        decoded);
        name = *storage().emplace_back(std::make_unique<std::string>(std::move(decoded)));
      }
      if (!checkDuplicate(objectStart, name)) {
        return false;
      }
      skipWs();
      if (p_ == end_ || *p_ != ':') {
        return invalid("expected ':'");
      }
      ++p_;
      skipWs();
      const char* valueStart = p_;
      JsonKind kind = JsonKind::kNull;
      if (!value(kind)) {
        return false;
      }
      if (isTop) {
        top_->members_.push_back(JsonMember{
            name, std::string_view(valueStart, static_cast<std::size_t>(p_ - valueStart)), kind});
      }
      skipWs();
      if (p_ == end_) {
        return invalid("unterminated object");
      }
      if (*p_ == '}') {
        ++p_;
        break;
      }
      if (*p_ != ',') {
        return invalid("expected ',' or '}'");
      }
      ++p_;
    }
    if (keys_.size() - objectStart > kLinearKeys) {
      std::vector<std::string_view> sorted(keys_.begin() + static_cast<std::ptrdiff_t>(objectStart),
                                           keys_.end());
      std::sort(sorted.begin(), sorted.end());
      if (auto it = std::adjacent_find(sorted.begin(), sorted.end()); it != sorted.end()) {
        return duplicate(*it);
      }
    }
    keys_.resize(objectStart);
    --depth_;
    return true;
  }

  bool array() {
    if (!enter()) {
      return false;
    }
    ++p_;
    skipWs();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      --depth_;
      return true;
    }
    for (;;) {
      skipWs();
      JsonKind kind = JsonKind::kNull;
      if (!value(kind)) {
        return false;
      }
      skipWs();
      if (p_ == end_) {
        return invalid("unterminated array");
      }
      if (*p_ == ']') {
        ++p_;
        break;
      }
      if (*p_ != ',') {
        return invalid("expected ',' or ']'");
      }
      ++p_;
    }
    --depth_;
    return true;
  }

  std::vector<std::unique_ptr<std::string>>& storage() {
    return top_ != nullptr ? top_->decodedNames_ : localNames_;
  }

  static constexpr std::size_t kLinearKeys = 24;

  const char* begin_;
  const char* p_;
  const char* end_;
  std::size_t maxDepth_;
  std::size_t depth_ = 0;
  JsonObjectScan* top_;
  // The names of the open objects' members, innermost last; per-thread storage reused across
  // scans (a scan never nests another one on the same thread).
  static std::vector<std::string_view>& keyStack() {
    thread_local std::vector<std::string_view> stack;
    return stack;
  }
  std::vector<std::string_view>& keys_;
  std::vector<std::unique_ptr<std::string>> localNames_;
  bool failed_ = false;
  Error error_;
};

const JsonMember* JsonObjectScan::find(std::string_view name) const noexcept {
  for (const auto& m : members_) {
    if (sameName(m.name, name)) {
      return &m;
    }
  }
  return nullptr;
}

void JsonObjectScan::clear() noexcept {
  members_.clear();
  decodedNames_.clear();
}

Result<JsonKind> scanStrictJson(std::string_view text, const JsonLimits& limits,
                                JsonObjectScan* topLevel) {
  if (text.size() > limits.maxBytes) {
    return fail(ErrorCode::kPayloadTooLarge, "JSON: " + std::to_string(text.size()) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(limits.maxBytes));
  }
  if (topLevel != nullptr) {
    topLevel->clear();
  }
  JsonScanner scanner(text, limits.maxDepth, topLevel);
  auto r = scanner.run();
  if (!r && topLevel != nullptr) {
    topLevel->clear();
  }
  return r;
}

std::string_view jsonStringValue(std::string_view raw, std::string& scratch) {
  if (raw.size() < 2) {
    return {};
  }
  const std::string_view body = raw.substr(1, raw.size() - 2);
  if (body.find('\\') == std::string_view::npos) {
    return body;
  }
  scratch.clear();
  scratch.reserve(body.size());
  auto hex4 = [](const char* h) {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = h[i];
      v = (v << 4) | static_cast<unsigned>(c <= '9'   ? c - '0'
                                           : c <= 'F' ? c - 'A' + 10
                                                      : c - 'a' + 10);
    }
    return v;
  };
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c != '\\') {
      scratch.push_back(c);
      continue;
    }
    const char e = body[++i];
    switch (e) {
      case 'b':
        scratch.push_back('\b');
        break;
      case 'f':
        scratch.push_back('\f');
        break;
      case 'n':
        scratch.push_back('\n');
        break;
      case 'r':
        scratch.push_back('\r');
        break;
      case 't':
        scratch.push_back('\t');
        break;
      case 'u': {
        unsigned cp = hex4(body.data() + i + 1);
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {  // validated: a low surrogate follows
          const unsigned low = hex4(body.data() + i + 3);
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          i += 6;
        }
        if (cp < 0x80) {
          scratch.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          scratch.push_back(static_cast<char>(0xc0 | (cp >> 6)));
          scratch.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
          scratch.push_back(static_cast<char>(0xe0 | (cp >> 12)));
          scratch.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
          scratch.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
          scratch.push_back(static_cast<char>(0xf0 | (cp >> 18)));
          scratch.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
          scratch.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
          scratch.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
        break;
      }
      default:  // '"', '\\', '/'
        scratch.push_back(e);
        break;
    }
  }
  return scratch;
}

void jsonArrayElementsInto(std::string_view raw,
                           std::vector<std::pair<JsonKind, std::string_view>>& out) {
  out.clear();
  JsonScanner scanner(raw, 64, nullptr);
  if (!scanner.arrayElements(out)) {
    out.clear();
  }
}

std::vector<std::pair<JsonKind, std::string_view>> jsonArrayElements(std::string_view raw) {
  std::vector<std::pair<JsonKind, std::string_view>> out;
  jsonArrayElementsInto(raw, out);
  return out;
}

// Moves and assignments are not concurrent with other uses of the same objects (like any type), so
// they need no atomic read-modify-write; only get() races with itself.
LazyJson::LazyJson(LazyJson&& other) noexcept
    : text_(std::move(other.text_)), dom_(other.dom_.load(std::memory_order_relaxed)) {
  other.dom_.store(nullptr, std::memory_order_relaxed);
}

LazyJson& LazyJson::operator=(const LazyJson& other) {
  if (this != &other) {
    text_ = other.text_;
    delete dom_.load(std::memory_order_relaxed);
    dom_.store(nullptr, std::memory_order_relaxed);
  }
  return *this;
}

LazyJson& LazyJson::operator=(LazyJson&& other) noexcept {
  if (this != &other) {
    text_ = std::move(other.text_);
    delete dom_.load(std::memory_order_relaxed);
    dom_.store(other.dom_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    other.dom_.store(nullptr, std::memory_order_relaxed);
  }
  return *this;
}

LazyJson::~LazyJson() {
  delete dom_.load(std::memory_order_acquire);
}

const JsonObjectScan* JsonObjectReader::scanOf(std::string_view objectText) {
  for (const auto& [at, scan] : scans_) {
    if (at == objectText.data()) {
      return scan.get();
    }
  }
  auto scan = std::make_unique<JsonObjectScan>();
  JsonLimits limits;
  limits.maxBytes = objectText.size();
  limits.maxDepth = kRescanDepth;
  const auto kind = scanStrictJson(objectText, limits, scan.get());
  if (!kind || *kind != JsonKind::kObject) {
    scan.reset();
  }
  scans_.emplace_back(objectText.data(), std::move(scan));
  return scans_.back().second.get();
}

const JsonMember* JsonObjectReader::find(std::initializer_list<std::string_view> path) {
  std::string_view object = text_;
  const JsonMember* member = nullptr;
  for (const auto name : path) {
    if (member != nullptr) {
      if (member->kind != JsonKind::kObject) {
        return nullptr;
      }
      object = member->raw;
    }
    const JsonObjectScan* scan = scanOf(object);
    member = scan == nullptr ? nullptr : scan->find(name);
    if (member == nullptr) {
      return nullptr;
    }
  }
  return member;
}

std::optional<std::string> jsonStringOf(JsonKind kind, std::string_view raw) {
  if (kind != JsonKind::kString) {
    return std::nullopt;
  }
  std::string scratch;
  return std::string(jsonStringValue(raw, scratch));
}

std::string JsonObjectReader::stringAt(std::initializer_list<std::string_view> path) {
  const JsonMember* member = find(path);
  return member == nullptr ? "" : jsonStringOf(member->kind, member->raw).value_or("");
}

const nlohmann::json& LazyJson::get() const {
  if (const auto* dom = dom_.load(std::memory_order_acquire)) {
    return *dom;
  }
  // The text was validated strictly, so the scanner-built DOM (several times faster than
  // nlohmann's own parser) cannot fail; a discarded value if it somehow did.
  JsonLimits limits;
  limits.maxBytes = text_.size();
  limits.maxDepth = kRescanDepth;
  auto parsed = parseStrictJson(text_, limits);
  auto* fresh = new nlohmann::json(nlohmann::json::value_t::discarded);
  if (parsed) {
    *fresh = std::move(*parsed);
  }
  nlohmann::json* expected = nullptr;
  if (!dom_.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) {
    delete fresh;
    return *expected;
  }
  return *fresh;
}

}  // namespace tessera::jose
