// Strict JSON parsing for untrusted JOSE input (token headers and claims, JWKs, JWKS): rejects
// duplicate member names at any depth, trailing data, nesting beyond a limit, oversize input and
// invalid UTF-8. Used by jwk, jws and jwt; usable by anything that parses hostile JSON.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace tessera::jose {

struct JsonLimits {
  std::size_t maxBytes = 512 * 1024;
  // Depth of nested objects/arrays; the top-level value is depth 1.
  std::size_t maxDepth = 16;
};

// Errors: kJsonInvalid (syntax, trailing data, invalid UTF-8, binary), kJsonDuplicateMember,
// kJsonTooDeep, kPayloadTooLarge. Messages give the position, never the input text.
Result<nlohmann::json> parseStrictJson(std::string_view text, const JsonLimits& limits = {});
// The same through nlohmann's SAX parser: what parseStrictJson reports errors with, and the
// reference its scan-built DOM is tested against.
Result<nlohmann::json> parseStrictJsonWithSax(std::string_view text, const JsonLimits& limits = {});

// The fast path for token headers and claims: validates with exactly the rules above but builds no
// DOM; for an object it lists the top-level members as spans of the input text.
enum class JsonKind : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

// "null", "boolean", "number", "string", "array", "object": for error messages.
std::string_view jsonKindName(JsonKind kind) noexcept;

struct JsonMember {
  std::string_view name;  // decoded member name
  std::string_view raw;   // the value's JSON text (strings keep their quotes)
  JsonKind kind = JsonKind::kNull;
};

class JsonObjectScan {
 public:
  std::span<const JsonMember> members() const noexcept { return members_; }
  // The member with this (decoded) name, or nullptr. Names are unique after a successful scan.
  const JsonMember* find(std::string_view name) const noexcept;
  void clear() noexcept;

 private:
  friend class JsonScanner;
  std::vector<JsonMember> members_;
  // Names that contained escapes (stable addresses; allocates only when used).
  std::vector<std::unique_ptr<std::string>> decodedNames_;
};

// Validates `text` (errors as parseStrictJson) and returns the top-level kind; when it is an object
// and `topLevel` is given, fills it with the members. The text must outlive `topLevel`.
Result<JsonKind> scanStrictJson(std::string_view text, const JsonLimits& limits,
                                JsonObjectScan* topLevel);

// The decoded value of a valid JSON string's raw text (with quotes). Returns a view of `raw` when
// there is no escape, else of `scratch`.
std::string_view jsonStringValue(std::string_view raw, std::string& scratch);
// The decoded text of a scanned value (its kind and raw text, as a scan lists them) when it is a
// string; nullopt for any other kind.
std::optional<std::string> jsonStringOf(JsonKind kind, std::string_view raw);

// The elements (kind, raw text) of a valid JSON array's raw text.
std::vector<std::pair<JsonKind, std::string_view>> jsonArrayElements(std::string_view raw);
void jsonArrayElementsInto(std::string_view raw,
                           std::vector<std::pair<JsonKind, std::string_view>>& out);

// Reads members of a strictly validated JSON object by path, scanning each object on the path
// once, instead of building a DOM: for hot paths that read a few known members (the Kubernetes
// trust provider's claims). The text must outlive the reader and the views it returns.
class JsonObjectReader {
 public:
  explicit JsonObjectReader(std::string_view validatedObject) : text_(validatedObject) {}
  JsonObjectReader(const JsonObjectReader&) = delete;
  JsonObjectReader& operator=(const JsonObjectReader&) = delete;

  // The member at `path` (a member name per level), or nullptr when a step is absent or a step
  // before the last is not an object.
  const JsonMember* find(std::initializer_list<std::string_view> path);
  // The decoded string at `path`; "" when absent or not a string (as reading the DOM would).
  std::string stringAt(std::initializer_list<std::string_view> path);

 private:
  const JsonObjectScan* scanOf(std::string_view objectText);
  std::string_view text_;
  std::vector<std::pair<const char*, std::unique_ptr<JsonObjectScan>>> scans_;
};

// A JSON document kept as validated text whose DOM is built on first use (thread-safe, once).
// Lets hot paths validate without building a DOM that callers may never look at.
class LazyJson {
 public:
  LazyJson() = default;
  explicit LazyJson(std::string text) : text_(std::move(text)) {}
  LazyJson(const LazyJson& other) : text_(other.text_) {}
  LazyJson(LazyJson&& other) noexcept;
  LazyJson& operator=(const LazyJson& other);
  LazyJson& operator=(LazyJson&& other) noexcept;
  ~LazyJson();

  const std::string& text() const noexcept { return text_; }
  const nlohmann::json& get() const;
  const nlohmann::json& operator*() const { return get(); }
  const nlohmann::json* operator->() const { return &get(); }

 private:
  std::string text_;
  mutable std::atomic<nlohmann::json*> dom_{nullptr};
};

}  // namespace tessera::jose
