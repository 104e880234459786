#include "sigv4/signer.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "common/hex_digit.hpp"

namespace tessera::sigv4 {

namespace {

// Never signed by default: what botocore and the JavaScript SDK leave out (hop-by-hop headers and
// those proxies and SDKs rewrite), and any proxy-* or sec-* header.
constexpr std::string_view kNeverSigned[] = {
    "authorization", "cache-control",     "connection", "expect",     "from",
    "keep-alive",    "max-forwards",      "pragma",     "referer",    "te",
    "trailer",       "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id"};

bool neverSigned(std::string_view name);

constexpr std::string_view kAuthQueryParameters[] = {
    "X-Amz-Algorithm",     "X-Amz-Credential", "X-Amz-Date",          "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Signature",  "X-Amz-Security-Token"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Trimmed, with every run of whitespace (folded lines included) made one space.
std::string canonicalValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pendingSpace = false;
  for (char c : value) {
    if (isSpace(c)) {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace) {
      out.push_back(' ');
      pendingSpace = false;
    }
    out.push_back(c);
  }
  return out;
}

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

Result<std::string> percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int high = i + 1 < text.size() ? hexDigitValue(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hexDigitValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return fail(ErrorCode::kInvalidArgument, "SigV4: malformed percent-escape in the query");
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

struct QueryParameter {
  std::string raw;    // as on the wire
  std::string name;   // decoded
  std::string value;  // decoded
};

Result<std::vector<QueryParameter>> parseQuery(std::string_view query) {
  std::vector<QueryParameter> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto end = std::min(query.find('&', start), query.size());
    const auto piece = query.substr(start, end - start);
    if (!piece.empty()) {
      const auto eq = piece.find('=');
      QueryParameter p;
      p.raw = std::string(piece);
      TESSERA_ASSIGN_OR_RETURN(p.name, percentDecode(piece.substr(0, eq)));
      if (eq != std::string_view::npos) {
        TESSERA_ASSIGN_OR_RETURN(p.value, percentDecode(piece.substr(eq + 1)));
      }
      out.push_back(std::move(p));
    }
    start = end + 1;
  }
  return out;
}

std::string joinCanonicalQuery(std::vector<std::pair<std::string, std::string>> encoded) {
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) {
      out.push_back('&');
    }
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string removeDotSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) {
        segments.pop_back();
      }
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    out += segments[i];
    if (i + 1 < segments.size()) {
      out.push_back('/');
    }
  }
  if (!segments.empty() && path.ends_with('/')) {
    out.push_back('/');
  }
  return out;
}

Result<void> checkInputs(const Request& request, const Credentials& credentials,
                         const SigningParams& params) {
  if (credentials.accessKeyId.empty() || credentials.secretAccessKey.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "SigV4: the credentials have no access key id or "
                "secret access key");
  }
  for (const auto& [field, value] :
       {std::pair{"region", &params.region}, std::pair{"service", &params.service}}) {
    if (value->empty() || value->find_first_of("/ \t\r\n") != std::string::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  std::string("SigV4: the ") + field + " is empty or not a name");
    }
  }
  if (request.method.empty()) {
    return fail(ErrorCode::kInvalidArgument, "SigV4: the request has no method");
  }
  if (params.payloadHash.empty()) {
    return fail(ErrorCode::kInvalidArgument, "SigV4: no payload hash");
  }
  return {};
}

bool namedIn(std::string_view name, std::span<const std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool neverSigned(std::string_view name) {
  return namedIn(name, kNeverSigned) || name.starts_with("proxy-") || name.starts_with("sec-");
}

// The canonical headers block and the signed header list of `request` with `added` (lowercase
// names) appended; headers named in `replaced` are dropped from the request's own.
Result<std::pair<std::string, std::string>> canonicalHeaders(
    const Request& request, const SigningParams& params,
    const std::vector<std::pair<std::string, std::string>>& added,
    std::span<const std::string_view> replaced) {
  std::map<std::string, std::string> joined;  // sorted by name; values joined in order with ','
  bool host = false;
  const auto take = [&](const std::string& name, std::string_view value) {
    auto [it, inserted] = joined.try_emplace(name, canonicalValue(value));
    if (!inserted) {
      it->second += "," + canonicalValue(value);
    }
  };
  for (const auto& [rawName, value] : request.headers) {
    const std::string name = lower(rawName);
    if (name == "host") {
      host = true;
    }
    if (namedIn(name, replaced)) {
      continue;
    }
    const bool chosen =
        name == "host" || (params.signedHeaders.empty()
                               ? !neverSigned(name)
                               : std::find(params.signedHeaders.begin(), params.signedHeaders.end(),
                                           name) != params.signedHeaders.end());
    if (chosen && name != "authorization") {
      take(name, value);
    }
  }
  if (!host) {
    return fail(ErrorCode::kInvalidArgument, "SigV4: the request has no Host header");
  }
  for (const auto& [name, value] : added) {
    take(name, value);
  }
  std::string block;
  std::string names;
  for (const auto& [name, value] : joined) {
    block += name + ":" + value + "\n";
    names += (names.empty() ? "" : ";") + name;
  }
  return std::pair{std::move(block), std::move(names)};
}

std::string hexSha256(std::string_view data) {
  return crypto::toHex(crypto::sha256(data));
}

Signature finish(std::string canonicalRequest, std::string signedHeaders,
                 const Credentials& credentials, const SigningParams& params) {
  Signature s;
  s.canonicalRequest = std::move(canonicalRequest);
  s.signedHeaders = std::move(signedHeaders);
  s.stringToSign = std::string(kAlgorithm) + "\n" + amzDate(params.time) + "\n" +
                   credentialScope(params.time, params.region, params.service) + "\n" +
                   hexSha256(s.canonicalRequest);
  const auto key = signingKey(credentials.secretAccessKey, scopeDate(params.time), params.region,
                              params.service);
  s.signature = crypto::toHex(crypto::hmacSha256(key, s.stringToSign));
  return s;
}

}  // namespace

std::string amzDate(SystemTime time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(seconds - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string scopeDate(SystemTime time) {
  return amzDate(time).substr(0, 8);
}

std::string credentialScope(SystemTime time, std::string_view region, std::string_view service) {
  return scopeDate(time) + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
}

crypto::Sha256Digest signingKey(std::string_view secretAccessKey, std::string_view date,
                                std::string_view region, std::string_view service) {
  const std::string seed = "AWS4" + std::string(secretAccessKey);
  auto key = crypto::hmacSha256(
      std::span(reinterpret_cast<const unsigned char*>(seed.data()), seed.size()), date);
  key = crypto::hmacSha256(key, region);
  key = crypto::hmacSha256(key, service);
  return crypto::hmacSha256(key, "aws4_request");
}

std::string uriEncode(std::string_view text, bool keepSlash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (isUnreserved(c) || (keepSlash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string canonicalPath(std::string_view path, bool s3PathRules, bool normalizePath) {
  if (path.empty()) {
    return "/";
  }
  if (s3PathRules) {
    return std::string(path);
  }
  return uriEncode(normalizePath ? removeDotSegments(path) : std::string(path), true);
}

Result<std::string> canonicalQuery(std::string_view query) {
  TESSERA_DECLARE_OR_RETURN(auto parameters, parseQuery(query));
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(parameters.size());
  for (const auto& p : parameters) {
    encoded.emplace_back(uriEncode(p.name, false), uriEncode(p.value, false));
  }
  return joinCanonicalQuery(std::move(encoded));
}

Result<HeaderSignature> signHeaders(const Request& request, const Credentials& credentials,
                                    const SigningParams& params) {
  TESSERA_RETURN_IF_ERROR(checkInputs(request, credentials, params));
  TESSERA_DECLARE_OR_RETURN(const std::string query, canonicalQuery(request.query));
  const std::string date = amzDate(params.time);
  std::vector<std::pair<std::string, std::string>> added = {{"x-amz-date", date}};
  std::vector<std::string_view> replaced = {"authorization", "x-amz-date", "x-amz-security-token"};
  if (params.addContentSha256) {
    added.emplace_back("x-amz-content-sha256", params.payloadHash);
    replaced.push_back("x-amz-content-sha256");
  }
  const bool signToken = !credentials.sessionToken.empty() && !params.omitSessionToken;
  if (signToken) {
    added.emplace_back("x-amz-security-token", credentials.sessionToken);
  }
  TESSERA_DECLARE_OR_RETURN(auto headers, canonicalHeaders(request, params, added, replaced));
  std::string canonical = request.method + "\n" +
                          canonicalPath(request.path, params.s3PathRules, params.normalizePath) +
                          "\n" + query + "\n" + headers.first + "\n" + headers.second + "\n" +
                          params.payloadHash;
  HeaderSignature out;
  static_cast<Signature&>(out) =
      finish(std::move(canonical), std::move(headers.second), credentials, params);
  out.headers.emplace_back("X-Amz-Date", date);
  if (!credentials.sessionToken.empty()) {
    out.headers.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  }
  if (params.addContentSha256) {
    out.headers.emplace_back("x-amz-content-sha256", params.payloadHash);
  }
  out.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + credentials.accessKeyId + "/" +
                           credentialScope(params.time, params.region, params.service) +
                           ", SignedHeaders=" + out.signedHeaders + ", Signature=" + out.signature);
  return out;
}

Result<QuerySignature> presign(const Request& request, const Credentials& credentials,
                               const SigningParams& params, std::chrono::seconds expires) {
  TESSERA_RETURN_IF_ERROR(checkInputs(request, credentials, params));
  if (expires < std::chrono::seconds(1) || expires > kMaxPresignExpiry) {
    return fail(ErrorCode::kInvalidArgument,
                "SigV4: a presigned URL expires after 1 to 604800 seconds");
  }
  TESSERA_DECLARE_OR_RETURN(const auto parameters, parseQuery(request.query));
  std::vector<std::pair<std::string, std::string>> encoded;
  std::string kept;
  for (const auto& p : parameters) {
    if (namedIn(p.name, kAuthQueryParameters)) {
      continue;  // the client's own (placeholder) signature
    }
    encoded.emplace_back(uriEncode(p.name, false), uriEncode(p.value, false));
    kept += (kept.empty() ? "" : "&") + p.raw;
  }
  TESSERA_DECLARE_OR_RETURN(auto headers, canonicalHeaders(request, params, {}, {}));
  const std::string credential =
      credentials.accessKeyId + "/" + credentialScope(params.time, params.region, params.service);
  std::vector<std::pair<std::string, std::string>> auth = {
      {"X-Amz-Algorithm", std::string(kAlgorithm)},
      {"X-Amz-Credential", credential},
      {"X-Amz-Date", amzDate(params.time)},
      {"X-Amz-Expires", std::to_string(expires.count())},
      {"X-Amz-SignedHeaders", headers.second}};
  const bool signToken = !credentials.sessionToken.empty() && !params.omitSessionToken;
  if (signToken) {
    auth.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  }
  for (const auto& [name, value] : auth) {
    encoded.emplace_back(name, uriEncode(value, false));
  }
  std::string canonical = request.method + "\n" +
                          canonicalPath(request.path, params.s3PathRules, params.normalizePath) +
                          "\n" + joinCanonicalQuery(std::move(encoded)) + "\n" + headers.first +
                          "\n" + headers.second + "\n" + params.payloadHash;
  QuerySignature out;
  static_cast<Signature&>(out) =
      finish(std::move(canonical), std::move(headers.second), credentials, params);
  if (!credentials.sessionToken.empty() && !signToken) {
    auth.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  }
  auth.emplace_back("X-Amz-Signature", out.signature);
  out.query = std::move(kept);
  for (const auto& [name, value] : auth) {
    out.query += (out.query.empty() ? "" : "&") + name + "=" + uriEncode(value, false);
  }
  return out;
}

}  // namespace tessera::sigv4
