// HTTP values shared by the server, the router and the client: Headers (case-insensitive),
// Request (what a handler receives), Response (what it returns) and the JSON response helpers.
// Called by every HTTP handler in the hub and the edge; free of Beast so it compiles fast.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/result.hpp"

namespace tessera::net {

// ASCII case-insensitive comparison, for header names and schemes.
bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept;
// An RFC 9110 token (a method or a field name): one or more tchar.
bool isHttpToken(std::string_view s) noexcept;

// Header fields in arrival order. Names compare case-insensitively; repeated fields are kept.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // Replaces every field named `name` by one field.
  void set(std::string_view name, std::string value);
  // Appends a field, keeping any existing ones of the same name.
  void add(std::string name, std::string value);
  void remove(std::string_view name);
  // No fields; the capacity stays (for the next request's fields).
  void clear() noexcept { fields_.clear(); }
  // The first field named `name`.
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }

  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;
using PathParams = std::map<std::string, std::string, std::less<>>;

// One request as a handler sees it. `path` is the raw (still percent-encoded) path without the
// query; path parameters and query parameters are percent-decoded.
struct Request {
  std::string method;    // "GET", "POST"... (HEAD stays "HEAD" when served by a GET route)
  std::string target{};  // the raw request-target, path plus query
  std::string path{};
  QueryParams queryParams{};
  PathParams pathParams{};
  Headers headers{};
  std::string body{};
  std::string remoteAddress{};  // IP literal of the peer, without brackets
  std::uint16_t remotePort = 0;
  unsigned httpVersion = 11;  // 10 or 11

  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
  // The first query parameter named `name`.
  std::optional<std::string_view> query(std::string_view name) const;
  // A path parameter of the matched pattern ("" when the pattern has no such segment).
  std::string_view pathParam(std::string_view name) const;
  // Parses the body as JSON; kUnsupportedMediaType unless Content-Type is application/json,
  // kJsonInvalid when it does not parse.
  Result<nlohmann::json> jsonBody() const;
};

struct Response {
  int status = 200;
  Headers headers{};
  std::string body{};
};

// A JSON body with Content-Type: application/json.
Response jsonResponse(int status, const nlohmann::json& body);
// {"error": "<wire code>", "message": "...", "details": [{pointer, reason}]?} with the status
// httpStatusFor(code) and Cache-Control: no-store.
Response errorResponse(const Error& error);
Response textResponse(int status, std::string body,
                      std::string contentType = "text/plain; charset=utf-8");

// Percent-decoding of a path segment or (plusIsSpace) a query component; nullopt when malformed.
std::optional<std::string> percentDecode(std::string_view in, bool plusIsSpace = false);
// Percent-encoding of everything but RFC 3986 unreserved characters.
std::string percentEncode(std::string_view in);
// Splits "a=1&b=x%20y" into decoded pairs; nullopt when an escape is malformed.
std::optional<QueryParams> parseQuery(std::string_view query);

}  // namespace tessera::net
