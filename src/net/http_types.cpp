#include "net/http_types.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/hex_digit.hpp"

namespace tessera::net {
namespace {

char lowerAscii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool isHttpToken(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' ||
           c == '*' || c == '+' || c == '.' || c == '^' || c == '`' || c == '|' || c == '~';
  });
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lowerAscii(x) == lowerAscii(y);
         });
}

void Headers::set(std::string_view name, std::string value) {
  remove(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return equalsIgnoreCase(f.first, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (equalsIgnoreCase(f.first, name)) {
      return std::string_view(f.second);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::query(std::string_view name) const {
  for (const auto& [k, v] : queryParams) {
    if (k == name) {
      return std::string_view(v);
    }
  }
  return std::nullopt;
}

std::string_view Request::pathParam(std::string_view name) const {
  auto it = pathParams.find(name);
  return it == pathParams.end() ? std::string_view() : std::string_view(it->second);
}

Result<nlohmann::json> Request::jsonBody() const {
  auto type = headers.get("Content-Type");
  std::string_view media = type ? *type : std::string_view();
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') {
    media.remove_suffix(1);
  }
  if (!equalsIgnoreCase(media, "application/json")) {
    return fail(ErrorCode::kUnsupportedMediaType, "expected Content-Type: application/json");
  }
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return fail(ErrorCode::kJsonInvalid, "request body is not valid JSON");
  }
  return parsed;
}

Response jsonResponse(int status, const nlohmann::json& body) {
  Response res;
  res.status = status;
  res.headers.set("Content-Type", "application/json");
  res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

Response errorResponse(const Error& error) {
  nlohmann::json body{{"error", errorCodeName(error.code)}, {"message", error.message}};
  if (!error.fields.empty()) {
    auto& details = body["details"] = nlohmann::json::array();
    for (const auto& f : error.fields) {
      details.push_back({{"pointer", f.pointer}, {"reason", f.reason}});
    }
  }
  Response res = jsonResponse(httpStatusFor(error.code), body);
  res.headers.set("Cache-Control", "no-store");
  return res;
}

Response textResponse(int status, std::string body, std::string contentType) {
  Response res;
  res.status = status;
  res.headers.set("Content-Type", std::move(contentType));
  res.body = std::move(body);
  return res;
}

std::optional<std::string> percentDecode(std::string_view in, bool plusIsSpace) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return std::nullopt;
      }
      const int hi = hexDigitValue(in[i + 1]);
      const int lo = hexDigitValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0f]);
    }
  }
  return out;
}

std::optional<QueryParams> parseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    const auto eq = part.find('=');
    auto key = percentDecode(part.substr(0, eq), true);
    auto value = percentDecode(
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!key || !value) {
      return std::nullopt;
    }
    params.emplace_back(std::move(*key), std::move(*value));
  }
  return params;
}

}  // namespace tessera::net
