#include "edge/metadata_routes.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <utility>

#include "common/time_format.hpp"
#include "crypto/digest.hpp"

namespace tessera::edge {

namespace {

using boost::asio::awaitable;
using net::Request;
using net::Response;
using nlohmann::json;

// The HttpServer already bounds the whole request head; these bound what the emulators look at,
// so a long query or header cannot make them do more than constant work per request.
constexpr std::size_t kMaxTargetBytes = 4096;
constexpr std::size_t kMaxParameterBytes = 2048;
constexpr std::size_t kMaxSecretHeaderBytes = 4096;
constexpr std::size_t kMaxTokenFileBytes = 16 * 1024;

constexpr std::string_view kTesseraErrorHeader = "Tessera-Error";

std::string describeTarget(const Target& t) {
  return t.protocol + "://" + t.host + ":" + std::to_string(t.port);
}

// Credential responses must never be cached by anything between the SDK and the edge.
Response noStore(Response res) {
  res.headers.set("Cache-Control", "no-store");
  return res;
}

std::int64_t secondsUntil(SystemTime t, const Clock& clock) {
  const auto left = std::chrono::duration_cast<Seconds>(t - clock.now()).count();
  return std::max<std::int64_t>(left, 0);
}

// Why no credential could be served, in words the workload's operator may read: the hub's
// refusal reason passes through (it is meant for them), anything else is reduced to a fixed text.
struct Refusal {
  int status = 502;
  std::string code;  // the Tessera-Error header: a wire name of error_codes.def
  std::string message;
};

Refusal refusalFor(const Error& error, const Target& target, std::string_view emulator) {
  switch (error.code) {
    case ErrorCode::kPermissionDenied:
      return {403, std::string(errorCodeName(error.code)), "access denied: " + error.message};
    case ErrorCode::kUnavailable:
      return {503, std::string(errorCodeName(error.code)),
              "no credential is available now: " + error.message};
    case ErrorCode::kNotFound:
      return {404, std::string(errorCodeName(error.code)),
              "no server workload is configured for " + describeTarget(target)};
    default:
      spdlog::error("edge metadata ({}): the grant for {} failed: {}", emulator,
                    describeTarget(target), error.describe());
      return {502, std::string(errorCodeName(ErrorCode::kHttpUpstream)),
              "the edge could not obtain a credential"};
  }
}

Refusal typeMismatch(const Grant& grant, const Target& target, std::string_view expected) {
  return {500, std::string(errorCodeName(ErrorCode::kConfigInvalid)),
          "the grant for " + describeTarget(target) + " is a '" + grant.credentialType +
              "' credential, not " + std::string(expected)};
}

Response tagged(Response res, std::string_view code) {
  res.headers.set(kTesseraErrorHeader, std::string(code));
  return noStore(std::move(res));
}

// The grant for `target` on behalf of the workload that sent `req`.
awaitable<Result<std::shared_ptr<const Grant>>> fetchGrant(GrantSource& grants,
                                                           const Target& target,
                                                           const Request& req) {
  Target wanted = target;
  ClientContext context;
  context.sourceIp = req.remoteAddress;
  auto grant = co_await grants.grantFor(std::move(wanted), std::move(context));
  if (grant && !*grant) {
    co_return Error{ErrorCode::kInternal, "the grant source returned no grant"};
  }
  co_return std::move(grant);
}

std::optional<std::string> fieldOf(const Grant& grant, std::string_view name) {
  auto value = grant.field(name);
  if (!value || value->empty()) {
    return std::nullopt;
  }
  return std::string(*value);
}

void logServed(std::string_view emulator, const Grant& grant, const Target& target,
               const Request& req) {
  spdlog::debug("edge metadata ({}): served {} credential {} for {} to {}", emulator,
                grant.credentialType, grant.fingerprint(), describeTarget(target),
                req.remoteAddress);
}

// A query parameter, or nullopt when it is absent or unreasonably long.
std::optional<std::string> boundedQuery(const Request& req, std::string_view name) {
  auto value = req.query(name);
  if (!value || value->size() > kMaxParameterBytes) {
    return std::nullopt;
  }
  return std::string(*value);
}

// Compares a presented secret header with the expected secret in constant time.
bool secretMatches(std::optional<std::string_view> presented, std::string_view expected) {
  return presented && !expected.empty() && presented->size() <= kMaxSecretHeaderBytes &&
         crypto::constantTimeEquals(*presented, expected);
}

// ---------------------------------------------------------------------------------------------
// AWS container credentials (ECS task role / EKS Pod Identity wire format).

class AwsContainerEmulator {
 public:
  AwsContainerEmulator(AwsContainerCredentialsOptions options, GrantSource& grants)
      : options_(std::move(options)), grants_(grants) {}

  awaitable<Response> handle(Request& req) const {
    if (req.target.size() > kMaxTargetBytes) {
      co_return error(400, "invalid_argument", "the request target is too long");
    }
    const auto presented = req.header("Authorization");
    if (!presented) {
      co_return error(401, errorCodeName(ErrorCode::kUnauthenticated),
                      "the Authorization header is missing: set AWS_CONTAINER_AUTHORIZATION_TOKEN "
                      "or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE to the edge's token");
    }
    auto authorized = tokenMatches(*presented);
    if (!authorized) {
      spdlog::error("edge metadata (aws): {}", authorized.error().describe());
      co_return error(500, errorCodeName(ErrorCode::kInternal),
                      "the edge cannot read its container credentials token");
    }
    if (!*authorized) {
      spdlog::warn("edge metadata (aws): refused a request from {} with a wrong Authorization",
                   req.remoteAddress);
      co_return error(403, errorCodeName(ErrorCode::kPermissionDenied),
                      "the Authorization header does not match the edge's container credentials "
                      "token");
    }
    auto grant = co_await fetchGrant(grants_, options_.target, req);
    if (!grant) {
      co_return refused(refusalFor(grant.error(), options_.target, "aws"));
    }
    const Grant& g = **grant;
    const auto keyId = fieldOf(g, "accessKeyId");
    const auto secret = fieldOf(g, "secretAccessKey");
    if (g.credentialType != "aws" || !keyId || !secret) {
      co_return refused(typeMismatch(g, options_.target, "an 'aws' credential"));
    }
    json body{{"AccessKeyId", *keyId},
              {"SecretAccessKey", *secret},
              {"Token", fieldOf(g, "sessionToken").value_or("")},
              {"Expiration", formatRfc3339(g.expiresAt)}};
    if (auto arn = fieldOf(g, "assumedRoleArn")) {
      body["RoleArn"] = *arn;
      if (auto account = accountOf(*arn)) {
        body["AccountId"] = *account;  // botocore reads it for account-based endpoints
      }
    }
    logServed("aws", g, options_.target, req);
    co_return noStore(net::jsonResponse(200, body));
  }

 private:
  // The ECS/EKS error body: {"code", "message"}.
  static Response error(int status, std::string_view code, std::string message) {
    return tagged(net::jsonResponse(status, json{{"code", code}, {"message", std::move(message)}}),
                  code);
  }
  static Response refused(const Refusal& r) { return error(r.status, r.code, r.message); }

  // The account id in an ARN ("arn:aws:sts::123456789012:assumed-role/..."), when it has one.
  static std::optional<std::string> accountOf(std::string_view arn) {
    std::size_t pos = 0;
    for (int field = 0; field < 4; ++field) {
      pos = arn.find(':', pos);
      if (pos == std::string_view::npos) {
        return std::nullopt;
      }
      ++pos;
    }
    const auto end = arn.find(':', pos);
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    const auto account = arn.substr(pos, end - pos);
    if (account.size() != 12 ||
        !std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::string(account);
  }

  // True when `presented` is the configured token or the token file's current content. The file
  // is read on every request: the workload's AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE may be the
  // same file, rotated by whoever provisions it, and botocore re-reads it on every fetch too. The
  // read blocks the connection's thread briefly; the file is small and local, and a cache could
  // keep accepting a token that was just rotated away.
  Result<bool> tokenMatches(std::string_view presented) const {
    bool match = secretMatches(presented, options_.authorizationToken);
    if (options_.authorizationTokenFile.empty()) {
      return match;
    }
    std::ifstream in(options_.authorizationTokenFile, std::ios::binary);
    if (!in) {
      return Error{ErrorCode::kIo,
                   "cannot open the authorization token file " + options_.authorizationTokenFile};
    }
    std::string token(kMaxTokenFileBytes + 1, '\0');
    in.read(token.data(), static_cast<std::streamsize>(token.size()));
    token.resize(static_cast<std::size_t>(in.gcount()));
    if (token.size() > kMaxTokenFileBytes) {
      return Error{ErrorCode::kIo, "the authorization token file " +
                                       options_.authorizationTokenFile + " is too large"};
    }
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
      token.pop_back();
    }
    // Both comparisons always run, so timing does not tell which secret was close.
    const bool fileMatch = secretMatches(presented, token);
    return match || fileMatch;
  }

  AwsContainerCredentialsOptions options_;
  GrantSource& grants_;
};

// ---------------------------------------------------------------------------------------------
// GCE metadata server (what google-auth-library / gcp-metadata and google-auth for Python ask).

class GceEmulator {
 public:
  GceEmulator(GceMetadataOptions options, GrantSource& grants, const Clock& clock)
      : options_(std::move(options)), grants_(grants), clock_(clock) {}

  // Every path under "/" and "/computeMetadata" lands here, so that the GCE checks (flavor
  // header, X-Forwarded-For) and GCE's 404 apply to unknown keys as well.
  awaitable<Response> handle(Request& req) const {
    if (req.header("X-Forwarded-For")) {
      // GCE refuses proxied requests: a request relayed by an SSRF-able proxy is not the VM's.
      co_return text(403, "Request had an X-Forwarded-For header and was rejected.\n");
    }
    const auto flavor = req.header("Metadata-Flavor");
    if (!flavor || *flavor != "Google") {
      co_return text(403, "Missing required header \"Metadata-Flavor\": \"Google\"\n");
    }
    if (req.target.size() > kMaxTargetBytes) {
      co_return text(400, "The request target is too long.\n");
    }
    auto parsed = splitPath(req.path);
    if (!parsed) {
      co_return notFound();
    }
    const std::vector<std::string>& p = *parsed;
    const bool recursive = req.query("recursive") == std::optional<std::string_view>("true");
    // "/", "/computeMetadata/" and "/computeMetadata/v1/": the pings SDKs use to detect GCE.
    if (p.empty()) {
      co_return text(200, "computeMetadata/\n");
    }
    if (p[0] != "computeMetadata") {
      co_return notFound();
    }
    if (p.size() == 1) {
      co_return text(200, "v1/\n");
    }
    if (p[1] != "v1") {
      co_return notFound();
    }
    const std::vector<std::string> key(p.begin() + 2, p.end());
    if (key.empty()) {
      co_return text(200, "instance/\nproject/\nuniverse/\n");
    }
    if (key[0] == "instance") {
      co_return co_await instance(req, key, recursive);
    }
    if (key[0] == "project") {
      if (key.size() == 1) {
        co_return text(200, "numeric-project-id\nproject-id\n");
      }
      if (key.size() == 2 && key[1] == "project-id" && !options_.projectId.empty()) {
        co_return text(200, options_.projectId);
      }
      if (key.size() == 2 && key[1] == "numeric-project-id" && !options_.numericProjectId.empty()) {
        co_return text(200, options_.numericProjectId);
      }
      co_return notFound();
    }
    if (key[0] == "universe") {
      if (key.size() == 1) {
        co_return text(200, "universe-domain\n");
      }
      if (key.size() == 2 && key[1] == "universe-domain") {
        co_return text(200, options_.universeDomain);
      }
    }
    co_return notFound();
  }

 private:
  awaitable<Response> instance(const Request& req, const std::vector<std::string>& key,
                               bool recursive) const {
    if (key.size() == 1) {
      if (recursive) {
        auto accounts = co_await accountsJson(req);
        co_return jsonBody(200, json{{"serviceAccounts", std::move(accounts)}});
      }
      co_return text(200, "service-accounts/\n");
    }
    if (key[1] != "service-accounts") {
      co_return notFound();
    }
    if (key.size() == 2) {
      if (recursive) {
        auto accounts = co_await accountsJson(req);
        co_return jsonBody(200, accounts);
      }
      const auto email = co_await serviceAccountEmail(req);
      co_return text(200, "default/\n" + (email ? *email + "/\n" : std::string()));
    }
    const std::string& account = key[2];
    if (key.size() == 3) {
      auto email = co_await accountEmail(req, account);
      if (!email) {
        co_return notFound();
      }
      if (recursive) {
        co_return jsonBody(200, accountJson(*email));
      }
      co_return text(200, "aliases\nemail\nidentity\nscopes\ntoken\n");
    }
    if (key.size() != 4) {
      co_return notFound();
    }
    const std::string& leaf = key[3];
    if (leaf == "token") {
      co_return co_await token(req, account);
    }
    if (leaf == "identity") {
      co_return co_await identity(req, account);
    }
    auto email = co_await accountEmail(req, account);
    if (!email) {
      co_return notFound();
    }
    if (leaf == "email") {
      co_return text(200, *email);
    }
    if (leaf == "aliases") {
      co_return text(200, "default\n");
    }
    if (leaf == "scopes") {
      std::string out;
      for (const auto& scope : options_.scopes) {
        out += scope + "\n";
      }
      co_return text(200, std::move(out));
    }
    co_return notFound();
  }

  // GET .../service-accounts/{default|email}/token[?scopes=...]. The scopes the SDK asks for
  // cannot change the grant: the hub's credential provider decides them.
  awaitable<Response> token(const Request& req, const std::string& account) const {
    auto grant = co_await fetchGrant(grants_, options_.target, req);
    if (!grant) {
      co_return refused(refusalFor(grant.error(), options_.target, "gce"));
    }
    const Grant& g = **grant;
    if (!accountMatches(account, g)) {
      co_return notFound();
    }
    const auto accessToken = fieldOf(g, "accessToken");
    if ((g.credentialType != "gcp" && g.credentialType != "oauth") || !accessToken) {
      co_return text(404, "The server workload " + describeTarget(options_.target) +
                              " does not grant an access token (its credential is '" +
                              g.credentialType + "').\n");
    }
    logServed("gce", g, options_.target, req);
    co_return jsonBody(200, json{{"access_token", *accessToken},
                                 {"expires_in", secondsUntil(g.expiresAt, clock_)},
                                 {"token_type", "Bearer"}});
  }

  // GET .../service-accounts/{default|email}/identity?audience=...: the raw JWT as text, when a
  // server workload is configured for the audience and its grant is an identity token.
  awaitable<Response> identity(const Request& req, const std::string& account) const {
    const auto audience = boundedQuery(req, "audience");
    if (!audience || audience->empty()) {
      co_return text(400, "non-empty audience parameter required\n");
    }
    const auto it =
        std::find_if(options_.identityAudiences.begin(), options_.identityAudiences.end(),
                     [&](const GceAudienceTarget& a) { return a.audience == *audience; });
    if (it == options_.identityAudiences.end()) {
      co_return text(404, "No server workload serves identity tokens for this audience.\n");
    }
    auto grant = co_await fetchGrant(grants_, it->target, req);
    if (!grant) {
      co_return refused(refusalFor(grant.error(), it->target, "gce"));
    }
    const Grant& g = **grant;
    if (!accountMatches(account, g)) {
      co_return notFound();
    }
    const auto idToken = fieldOf(g, "token");
    if ((g.credentialType != "id-token" && g.credentialType != "bearer-token") || !idToken) {
      co_return text(404, "The server workload " + describeTarget(it->target) +
                              " does not grant an identity token (its credential is '" +
                              g.credentialType + "').\n");
    }
    logServed("gce", g, it->target, req);
    co_return text(200, *idToken);
  }

  // "default", the configured email, or (when none is configured) the grant's service account.
  bool accountMatches(const std::string& account, const Grant& grant) const {
    if (account == "default") {
      return true;
    }
    if (!options_.serviceAccountEmail.empty()) {
      return account == options_.serviceAccountEmail;
    }
    return fieldOf(grant, "serviceAccount") == std::optional<std::string>(account);
  }

  awaitable<std::optional<std::string>> serviceAccountEmail(const Request& req) const {
    if (!options_.serviceAccountEmail.empty()) {
      co_return options_.serviceAccountEmail;
    }
    auto grant = co_await fetchGrant(grants_, options_.target, req);
    if (!grant) {
      co_return std::nullopt;
    }
    co_return fieldOf(**grant, "serviceAccount");
  }

  // The email behind `account` ("default" or an email), or nullopt when it is not this VM's.
  awaitable<std::optional<std::string>> accountEmail(const Request& req,
                                                     const std::string& account) const {
    auto email = co_await serviceAccountEmail(req);
    if (!email) {
      co_return std::nullopt;
    }
    if (account != "default" && account != *email) {
      co_return std::nullopt;
    }
    co_return email;
  }

  json accountJson(const std::string& email) const {
    return json{
        {"aliases", json::array({"default"})}, {"email", email}, {"scopes", options_.scopes}};
  }

  awaitable<json> accountsJson(const Request& req) const {
    json accounts = json::object();
    const auto email = co_await serviceAccountEmail(req);
    if (email) {
      accounts["default"] = accountJson(*email);
      accounts[*email] = accountJson(*email);
    }
    co_return accounts;
  }

  // The path as decoded segments, without empty ones ("/a/b/" and "/a/b" are the same key).
  static std::optional<std::vector<std::string>> splitPath(std::string_view path) {
    std::vector<std::string> out;
    std::size_t pos = 1;
    while (pos <= path.size()) {
      auto next = path.find('/', pos);
      if (next == std::string_view::npos) {
        next = path.size();
      }
      if (next > pos) {
        auto decoded = net::percentDecode(path.substr(pos, next - pos));
        if (!decoded) {
          return std::nullopt;
        }
        out.push_back(std::move(*decoded));
      }
      pos = next + 1;
    }
    return out;
  }

  static Response gce(Response res) {
    res.headers.set("Metadata-Flavor", "Google");
    res.headers.set("Server", "Metadata Server for VM");
    return noStore(std::move(res));
  }
  static Response text(int status, std::string body) {
    return gce(net::textResponse(status, std::move(body), "application/text"));
  }
  static Response jsonBody(int status, const json& body) {
    return gce(net::jsonResponse(status, body));
  }
  static Response notFound() {
    return text(404, "The requested URL was not found on this server.\n");
  }
  static Response refused(const Refusal& r) {
    Response res =
        gce(net::jsonResponse(r.status, json{{"error", r.code}, {"error_description", r.message}}));
    res.headers.set(kTesseraErrorHeader, r.code);
    return res;
  }

  GceMetadataOptions options_;
  GrantSource& grants_;
  const Clock& clock_;
};

// ---------------------------------------------------------------------------------------------
// Azure managed identity: IMDS and App Service.

class AzureEmulator {
 public:
  AzureEmulator(AzureManagedIdentityOptions options, GrantSource& grants, const Clock& clock)
      : options_(std::move(options)), grants_(grants), clock_(clock) {}

  // GET /metadata/identity/oauth2/token?api-version=...&resource=... with Metadata: true.
  awaitable<Response> handleImds(Request& req) const {
    if (req.header("X-Forwarded-For")) {
      co_return error(400, "invalid_request",
                      "Bad request. Requests with an X-Forwarded-For "
                      "header are rejected.");
    }
    const auto metadata = req.header("Metadata");
    if (!metadata || !net::equalsIgnoreCase(*metadata, "true")) {
      co_return error(400, "invalid_request", "Required metadata header not specified");
    }
    co_return co_await token(req, Form::kImds);
  }

  // GET <appServicePath>?api-version=2019-08-01&resource=... with X-IDENTITY-HEADER.
  awaitable<Response> handleAppService(Request& req) const {
    const auto presented = req.header("X-IDENTITY-HEADER");
    if (!presented) {
      co_return error(401, "unauthorized",
                      "the X-IDENTITY-HEADER header is missing: send the "
                      "value of IDENTITY_HEADER");
    }
    if (!secretMatches(presented, options_.identityHeader)) {
      spdlog::warn(
          "edge metadata (azure): refused a request from {} with a wrong "
          "X-IDENTITY-HEADER",
          req.remoteAddress);
      co_return error(403, "forbidden",
                      "the X-IDENTITY-HEADER header does not match the edge's "
                      "IDENTITY_HEADER");
    }
    co_return co_await token(req, Form::kAppService);
  }

 private:
  enum class Form { kImds, kAppService };

  awaitable<Response> token(const Request& req, Form form) const {
    if (req.target.size() > kMaxTargetBytes) {
      co_return error(400, "invalid_request", "The request target is too long.");
    }
    const auto apiVersion = boundedQuery(req, "api-version");
    if (!apiVersion || apiVersion->empty()) {
      co_return error(400, "invalid_request", "Bad request. api-version was not specified");
    }
    const auto resource = boundedQuery(req, "resource");
    if (!resource || resource->empty()) {
      co_return error(400, "invalid_request", "Required query variable 'resource' is missing");
    }
    if (auto unknown = unknownIdentity(req)) {
      co_return error(400, "invalid_request", "Identity not found: " + *unknown);
    }
    const AzureResourceTarget* route = findResource(*resource);
    if (route == nullptr) {
      co_return error(400, "invalid_resource",
                      "AADSTS500011: The resource principal named " + *resource +
                          " is not configured on this Tessera edge.");
    }
    auto grant = co_await fetchGrant(grants_, route->target, req);
    if (!grant) {
      const Refusal r = refusalFor(grant.error(), route->target, "azure");
      co_return error(r.status, r.code, r.message);
    }
    const Grant& g = **grant;
    const auto accessToken = fieldOf(g, "accessToken");
    if ((g.credentialType != "azure" && g.credentialType != "oauth") || !accessToken) {
      const Refusal r = typeMismatch(g, route->target, "an 'azure' access token");
      co_return error(r.status, r.code, r.message);
    }
    const auto now = toUnixSeconds(clock_.now());
    const auto expiresIn = secondsUntil(g.expiresAt, clock_);
    // IMDS and App Service send every number as a string; MSAL computes the lifetime from
    // expires_on (epoch seconds, or an exact ISO 8601 string) and ignores expires_in.
    json body{{"access_token", *accessToken},
              {"expires_on", std::to_string(now + expiresIn)},
              {"not_before", std::to_string(now)},
              {"resource", *resource},
              {"token_type", "Bearer"}};
    if (form == Form::kImds) {
      body["expires_in"] = std::to_string(expiresIn);
      body["ext_expires_in"] = std::to_string(expiresIn);
    }
    if (!options_.clientId.empty()) {
      body["client_id"] = options_.clientId;
    }
    logServed("azure", g, route->target, req);
    co_return noStore(net::jsonResponse(200, body));
  }

  // A user-assigned identity selector that names another identity than this edge's, if any.
  std::optional<std::string> unknownIdentity(const Request& req) const {
    const std::pair<const char*, const std::string*> selectors[] = {
        {"client_id", &options_.clientId},    {"object_id", &options_.objectId},
        {"principal_id", &options_.objectId}, {"msi_res_id", &options_.resourceId},
        {"mi_res_id", &options_.resourceId},
    };
    for (const auto& [name, configured] : selectors) {
      const auto asked = req.query(name);
      if (asked && (configured->empty() || !net::equalsIgnoreCase(*asked, *configured))) {
        return std::string(name) + " does not name the identity this edge serves";
      }
    }
    return std::nullopt;
  }

  static std::string_view normalized(std::string_view resource) {
    constexpr std::string_view kDefaultSuffix = "/.default";
    if (resource.ends_with(kDefaultSuffix)) {
      resource.remove_suffix(kDefaultSuffix.size());
    }
    if (resource.ends_with('/')) {
      resource.remove_suffix(1);
    }
    return resource;
  }

  const AzureResourceTarget* findResource(std::string_view resource) const {
    for (const auto& entry : options_.resources) {
      std::string_view pattern = entry.resource;
      if (pattern.ends_with('*')) {
        pattern.remove_suffix(1);
        if (resource.starts_with(pattern)) {
          return &entry;
        }
      } else if (normalized(pattern) == normalized(resource)) {
        return &entry;
      }
    }
    return nullptr;
  }

  // IMDS's error body, which MSAL reads: {"error", "error_description"}.
  static Response error(int status, std::string_view code, std::string message) {
    return tagged(
        net::jsonResponse(status, json{{"error", code}, {"error_description", std::move(message)}}),
        code);
  }

  AzureManagedIdentityOptions options_;
  GrantSource& grants_;
  const Clock& clock_;
};

Result<void> checkPath(std::string_view what, std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find_first_of("?#{}") != std::string_view::npos) {
    return Error{
        ErrorCode::kConfigInvalid,
        std::string(what) + " must be an absolute path without a query: " + std::string(path)};
  }
  return {};
}

Result<void> addRoutes(net::Router& router, MetadataRoutesOptions& options, GrantSource& grants,
                       const Clock& clock) {
  if (options.aws) {
    auto& aws = *options.aws;
    TESSERA_RETURN_IF_ERROR(checkPath("aws.path", aws.path));
    if (aws.authorizationToken.empty() && aws.authorizationTokenFile.empty()) {
      return Error{ErrorCode::kConfigInvalid,
                   "aws: set authorizationToken or authorizationTokenFile (the container "
                   "credentials endpoint never serves unauthenticated requests)"};
    }
    const std::string path = aws.path;
    auto emulator = std::make_shared<const AwsContainerEmulator>(std::move(aws), grants);
    router.get(path, [emulator](Request& req) { return emulator->handle(req); });
  }
  if (options.gce) {
    auto emulator = std::make_shared<const GceEmulator>(std::move(*options.gce), grants, clock);
    net::Handler handler = [emulator](Request& req) { return emulator->handle(req); };
    router.get("/", handler);
    router.get("/computeMetadata", handler);
    router.get("/computeMetadata/", handler);
    // One pattern per depth (with and without the trailing slash SDKs use for directories), so
    // that every key under /computeMetadata reaches the emulator, unknown ones included.
    std::string pattern = "/computeMetadata";
    for (int depth = 1; depth <= 6; ++depth) {
      pattern += "/{s" + std::to_string(depth) + "}";
      router.get(pattern, handler);
      router.get(pattern + "/", handler);
    }
  }
  if (options.azure) {
    auto& azure = *options.azure;
    if (!azure.identityHeader.empty()) {
      TESSERA_RETURN_IF_ERROR(checkPath("azure.appServicePath", azure.appServicePath));
    }
    const bool imds = azure.imds;
    const std::string appServicePath = azure.identityHeader.empty() ? "" : azure.appServicePath;
    auto emulator = std::make_shared<const AzureEmulator>(std::move(azure), grants, clock);
    if (imds) {
      // MSAL (and so @azure/identity) asks for ".../token/"; IMDS answers both spellings.
      net::Handler handler = [emulator](Request& req) { return emulator->handleImds(req); };
      router.get("/metadata/identity/oauth2/token", handler);
      router.get("/metadata/identity/oauth2/token/", handler);
    }
    if (!appServicePath.empty()) {
      router.get(appServicePath,
                 [emulator](Request& req) { return emulator->handleAppService(req); });
    }
  }
  return {};
}

}  // namespace

Result<void> addMetadataRoutes(net::Router& router, MetadataRoutesOptions options,
                               GrantSource& grants, const Clock& clock) {
  try {
    return addRoutes(router, options, grants, clock);
  } catch (const std::invalid_argument& e) {
    // Router::add throws for a duplicate or malformed pattern: here that is a configured path.
    return Error{ErrorCode::kConfigInvalid, std::string("metadata routes: ") + e.what()};
  }
}

}  // namespace tessera::edge
