#include "edge/cloud_evidence.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/time_format.hpp"
#include "crypto/digest.hpp"
#include "edge/evidence_collector.hpp"
#include "net/url.hpp"

namespace tessera::edge {

namespace {

// trust::kAwsServerIdHeader; spelled here so that the edge does not link the hub's trust
// providers for one constant.
constexpr std::string_view kServerIdHeader = "X-Tessera-Server-ID";
constexpr std::string_view kGetCallerIdentityBody = "Action=GetCallerIdentity&Version=2011-06-15";

std::string trimmed(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) {
    return {};
  }
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// endpoint (no trailing '/') + path.
std::string joined(std::string_view endpoint, std::string_view path) {
  while (!endpoint.empty() && endpoint.back() == '/') {
    endpoint.remove_suffix(1);
  }
  return std::string(endpoint) + std::string(path);
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

const std::string* stringField(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

// A non-200 answer from a metadata service: the status and what the service says it means, never
// the body (it could echo a token).
Error answered(std::string_view what, int status) {
  std::string meaning = status == 401   ? " (token missing, invalid or expired)"
                        : status == 403 ? " (refused: not allowed, or the service is off)"
                        : status == 404 ? " (not found: not configured on this instance?)"
                                        : "";
  return Error{ErrorCode::kEvidenceMissing,
               std::string(what) + " answered HTTP " + std::to_string(status) + meaning};
}

}  // namespace

Result<std::string> parseImdsRoleName(std::string_view listing) {
  const auto line = trimmed(listing.substr(0, listing.find('\n')));
  if (line.empty()) {
    return fail(ErrorCode::kEvidenceMissing, "the instance has no IAM role (empty listing)");
  }
  if (line.size() > 128 || !printable(line) || line.find('/') != std::string::npos) {
    return fail(ErrorCode::kEvidenceInvalid, "the IAM role listing is not a role name");
  }
  return line;
}

Result<ImdsRoleCredentials> parseImdsRoleCredentials(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) {
    return fail(ErrorCode::kEvidenceInvalid, "the role credentials are not a JSON object");
  }
  const auto* code = stringField(json, "Code");
  if (code != nullptr && *code != "Success") {
    // IMDS reports a failure to get credentials as 200 with another Code; its Message says why
    // and carries no secret.
    const auto* message = stringField(json, "Message");
    return fail(ErrorCode::kEvidenceMissing,
                "IMDS could not provide the role credentials: Code " + code->substr(0, 64) +
                    (message ? ": " + message->substr(0, 200) : std::string()));
  }
  const auto* key = stringField(json, "AccessKeyId");
  const auto* secret = stringField(json, "SecretAccessKey");
  const auto* token = stringField(json, "Token");
  const auto* expiration = stringField(json, "Expiration");
  if (key == nullptr || secret == nullptr || expiration == nullptr) {
    return fail(ErrorCode::kEvidenceInvalid,
                "the role credentials lack AccessKeyId, SecretAccessKey or Expiration");
  }
  auto expires = parseRfc3339(*expiration);
  if (!expires) {
    return fail(ErrorCode::kEvidenceInvalid, "the role credentials' Expiration is not RFC 3339");
  }
  ImdsRoleCredentials out;
  out.credentials.accessKeyId = *key;
  out.credentials.secretAccessKey = *secret;
  out.credentials.sessionToken = token ? *token : std::string();
  out.expiration = *expires;
  return out;
}

Result<nlohmann::json> signGetCallerIdentity(const sigv4::Credentials& credentials,
                                             std::string_view stsEndpoint, std::string_view region,
                                             std::string_view serverId, SystemTime now) {
  auto url = net::parseUrl(stsEndpoint);
  if (!url) {
    return fail(ErrorCode::kInvalidArgument, "stsEndpoint: " + url.error().message);
  }
  if (url->target.find('?') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "stsEndpoint must not have a query");
  }
  // The hub replays POST with the body checked word for word (not a GET with the action in the
  // query), and wants its server id and the host signed.
  sigv4::Request request;
  request.method = "POST";
  request.path = url->target;
  request.headers = {
      {"Host", url->authority()},
      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
      {std::string(kServerIdHeader), std::string(serverId)},
  };
  sigv4::SigningParams params;
  params.region = std::string(region);
  params.service = "sts";
  params.time = now;
  params.payloadHash = crypto::toHex(crypto::sha256(kGetCallerIdentityBody));
  auto signature = sigv4::signHeaders(request, credentials, params);
  if (!signature) {
    return std::move(signature).error();
  }
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : request.headers) {
    headers[name] = value;
  }
  for (const auto& [name, value] : signature->headers) {
    headers[name] = value;
  }
  return nlohmann::json{{"method", "POST"},
                        {"url", url->toString()},
                        {"headers", std::move(headers)},
                        {"body", std::string(kGetCallerIdentityBody)}};
}

Result<nlohmann::json> parseAzureAttested(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) {
    return fail(ErrorCode::kEvidenceInvalid, "the attested document is not a JSON object");
  }
  const auto* encoding = stringField(json, "encoding");
  const auto* signature = stringField(json, "signature");
  if (encoding == nullptr || *encoding != "pkcs7") {
    return fail(ErrorCode::kEvidenceInvalid, "the attested document's encoding is not pkcs7");
  }
  if (signature == nullptr || signature->size() > kMaxCloudDocumentBytes) {
    return fail(ErrorCode::kEvidenceInvalid, "the attested document has no signature of at most " +
                                                 std::to_string(kMaxCloudDocumentBytes) + " bytes");
  }
  return nlohmann::json{{"encoding", *encoding}, {"signature", *signature}};
}

std::string azureNonce(SystemTime now) {
  return std::to_string(toUnixSeconds(now));
}

CloudEvidence::CloudEvidence(const EvidenceSettings& settings,
                             std::shared_ptr<net::HttpClient> http, const Clock& clock)
    : aws_(settings.awsImds),
      azure_(settings.azureImds),
      gce_(settings.gceMetadata),
      http_(std::move(http)),
      clock_(clock) {}

boost::asio::awaitable<void> CloudEvidence::collect(nlohmann::json& evidence,
                                                    nlohmann::json& tokens) {
  if (aws_ && aws_->identityDocument) {
    auto document = co_await awsInstanceIdentity();
    if (document) {
      evidence["awsInstanceIdentity"] = std::move(*document);
    } else {
      spdlog::warn("evidence: AWS instance identity document (IMDS {}) left out: {}",
                   aws_->endpoint, document.error().describe());
    }
  }
  if (aws_ && aws_->role) {
    auto request = co_await awsGetCallerIdentity();
    if (request) {
      evidence["awsGetCallerIdentity"] = std::move(*request);
    } else {
      spdlog::warn("evidence: AWS instance role GetCallerIdentity (IMDS {}) left out: {}",
                   aws_->endpoint, request.error().describe());
    }
  }
  if (azure_) {
    auto attested = co_await azureAttested();
    if (attested) {
      evidence["azureAttestedDocument"] = std::move(*attested);
    } else {
      spdlog::warn("evidence: Azure attested document (IMDS {}) left out: {}", azure_->endpoint,
                   attested.error().describe());
    }
  }
  if (gce_) {
    auto token = co_await gceIdentityToken();
    if (token) {
      tokens.push_back(std::move(*token));
    } else {
      spdlog::warn("evidence: GCE identity token (metadata server {}) left out: {}", gce_->endpoint,
                   token.error().describe());
    }
  }
}

// IMDSv2: PUT /latest/api/token with the TTL header answers a session token that every GET
// must carry.
boost::asio::awaitable<Result<std::string>> CloudEvidence::imdsToken() {
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (imdsToken_.fresh(now)) {
      co_return *imdsToken_.value;
    }
  }
  net::ClientRequest request("PUT", joined(aws_->endpoint, "/latest/api/token"));
  request.withHeader("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(kImdsTokenTtl.count()))
      .withTimeout(kMetadataTimeout)
      .withMaxResponseBytes(kMaxImdsTokenBytes);
  auto response = co_await http_->request(std::move(request));
  if (!response) {
    co_return Error{response.error().code, "PUT /latest/api/token: " + response.error().message};
  }
  if (response->status != 200) {
    co_return answered("PUT /latest/api/token", response->status);
  }
  std::string token = trimmed(response->body);
  if (token.empty() || !printable(token)) {
    co_return fail(ErrorCode::kEvidenceInvalid, "the IMDSv2 session token is empty or unreadable");
  }
  std::lock_guard lock(mutex_);
  imdsToken_.value = token;
  imdsToken_.refreshAt = now + kImdsTokenTtl - std::chrono::seconds(30);
  co_return token;
}

boost::asio::awaitable<Result<std::string>> CloudEvidence::imdsGet(const std::string& path,
                                                                   std::size_t maxBytes) {
  auto token = co_await imdsToken();
  if (!token) {
    co_return token.error();
  }
  auto request = net::ClientRequest::get(joined(aws_->endpoint, path));
  request.withHeader("X-aws-ec2-metadata-token", *token)
      .withTimeout(kMetadataTimeout)
      .withMaxResponseBytes(maxBytes);
  auto response = co_await http_->request(std::move(request));
  if (!response) {
    co_return Error{response.error().code, "GET " + path + ": " + response.error().message};
  }
  if (response->status == 401) {
    // The session token expired early (an IMDS restart): ask for a new one next time.
    std::lock_guard lock(mutex_);
    imdsToken_.value.reset();
  }
  if (response->status != 200) {
    co_return answered("GET " + path, response->status);
  }
  co_return std::move(response->body);
}

boost::asio::awaitable<Result<nlohmann::json>> CloudEvidence::awsInstanceIdentity() {
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (instanceIdentity_.fresh(now)) {
      co_return *instanceIdentity_.value;
    }
  }
  // The signature covers the exact bytes served: the document is passed on untouched.
  // Named paths: no temporaries inside co_await (GCC 12).
  const std::string documentPath = "/latest/dynamic/instance-identity/document";
  const std::string signaturePath = "/latest/dynamic/instance-identity/rsa2048";
  auto document = co_await imdsGet(documentPath, kMaxCloudDocumentBytes);
  if (!document) {
    co_return document.error();
  }
  auto signature = co_await imdsGet(signaturePath, kMaxCloudDocumentBytes);
  if (!signature) {
    co_return signature.error();
  }
  // IMDS serves the base64 with line breaks; the hub wants it without.
  std::string rsa2048;
  for (char c : *signature) {
    if (c != '\n' && c != '\r' && c != ' ') {
      rsa2048 += c;
    }
  }
  if (document->empty() || rsa2048.empty()) {
    co_return fail(ErrorCode::kEvidenceInvalid, "the document or its rsa2048 signature is empty");
  }
  nlohmann::json out{{"document", std::move(*document)}, {"rsa2048", std::move(rsa2048)}};
  std::lock_guard lock(mutex_);
  instanceIdentity_.value = out;
  instanceIdentity_.refreshAt = now + kInstanceDocumentCacheTtl;
  spdlog::debug("evidence: AWS instance identity document {} read",
                crypto::fingerprint(out["document"].get_ref<const std::string&>()));
  co_return out;
}

boost::asio::awaitable<Result<nlohmann::json>> CloudEvidence::awsGetCallerIdentity() {
  const auto now = clock_.now();
  std::optional<ImdsRoleCredentials> credentials;
  {
    std::lock_guard lock(mutex_);
    if (callerIdentity_.fresh(now)) {
      co_return *callerIdentity_.value;
    }
    if (roleCredentials_.fresh(now)) {
      credentials = roleCredentials_.value;
    }
  }
  if (!credentials) {
    const std::string listingPath = "/latest/meta-data/iam/security-credentials/";
    auto listing = co_await imdsGet(listingPath, kMaxImdsListingBytes);
    if (!listing) {
      co_return listing.error();
    }
    auto role = parseImdsRoleName(*listing);
    if (!role) {
      co_return role.error();
    }
    const std::string rolePath = listingPath + *role;
    auto body = co_await imdsGet(rolePath, kMaxImdsCredentialsBytes);
    if (!body) {
      co_return body.error();
    }
    auto parsed = parseImdsRoleCredentials(*body);
    if (!parsed) {
      co_return Error{parsed.error().code, "role " + *role + ": " + parsed.error().message};
    }
    credentials = std::move(*parsed);
    spdlog::debug("evidence: AWS role {} credentials {} read (expire {})", *role,
                  crypto::fingerprint(credentials->credentials.accessKeyId),
                  formatRfc3339(credentials->expiration));
    std::lock_guard lock(mutex_);
    roleCredentials_.value = credentials;
    roleCredentials_.refreshAt = credentials->expiration - kRoleCredentialsMargin;
  }
  if (credentials->expiration <= now) {
    co_return fail(ErrorCode::kEvidenceMissing,
                   "the role credentials expired at " + formatRfc3339(credentials->expiration));
  }
  auto signedRequest = signGetCallerIdentity(credentials->credentials, aws_->stsEndpoint,
                                             aws_->region, aws_->serverId, now);
  if (!signedRequest) {
    co_return signedRequest.error();
  }
  std::lock_guard lock(mutex_);
  callerIdentity_.value = *signedRequest;
  // Never past the credentials: STS refuses a request signed with expired ones.
  callerIdentity_.refreshAt = std::min(now + kSignedRequestCacheTtl, credentials->expiration);
  co_return std::move(*signedRequest);
}

// Azure IMDS: the attested data for a nonce the hub checks for freshness.
boost::asio::awaitable<Result<nlohmann::json>> CloudEvidence::azureAttested() {
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (azureAttested_.fresh(now)) {
      co_return *azureAttested_.value;
    }
  }
  auto request = net::ClientRequest::get(
      joined(azure_->endpoint, "/metadata/attested/document?api-version=2020-09-01&nonce=") +
      azureNonce(now));
  request.withHeader("Metadata", "true")
      .withTimeout(kMetadataTimeout)
      .withMaxResponseBytes(kMaxAzureAttestedBytes);
  auto response = co_await http_->request(std::move(request));
  if (!response) {
    co_return Error{response.error().code,
                    "GET /metadata/attested/document: " + response.error().message};
  }
  if (response->status != 200) {
    co_return answered("GET /metadata/attested/document", response->status);
  }
  auto attested = parseAzureAttested(response->body);
  if (!attested) {
    co_return attested.error();
  }
  std::lock_guard lock(mutex_);
  azureAttested_.value = *attested;
  azureAttested_.refreshAt = now + kAzureAttestedCacheTtl;
  spdlog::debug("evidence: Azure attested document {} read (nonce {})",
                crypto::fingerprint((*attested)["signature"].get_ref<const std::string&>()),
                azureNonce(now));
  co_return std::move(*attested);
}

// GCE: the metadata server mints a Google-signed ID token for any audience; format=full adds the
// instance claims the hub's gcp-identity provider reads.
boost::asio::awaitable<Result<std::string>> CloudEvidence::gceIdentityToken() {
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (gceToken_.fresh(now)) {
      co_return *gceToken_.value;
    }
  }
  auto request = net::ClientRequest::get(
      joined(gce_->endpoint,
             "/computeMetadata/v1/instance/service-accounts/default/identity?audience=") +
      net::percentEncode(gce_->audience) + "&format=full");
  request.withHeader("Metadata-Flavor", "Google")
      .withTimeout(kMetadataTimeout)
      .withMaxResponseBytes(kMaxEvidenceTokenBytes);
  auto response = co_await http_->request(std::move(request));
  if (!response) {
    co_return Error{response.error().code,
                    "GET .../service-accounts/default/identity: " + response.error().message};
  }
  if (response->status != 200) {
    co_return answered("GET .../service-accounts/default/identity", response->status);
  }
  std::string token = trimmed(response->body);
  const auto expiry = unverifiedExpiry(token);
  if (token.empty() || !printable(token) || !expiry) {
    co_return fail(ErrorCode::kEvidenceInvalid,
                   "the metadata server's answer is not a JWT with an exp");
  }
  std::lock_guard lock(mutex_);
  gceToken_.value = token;
  gceToken_.refreshAt = *expiry - std::chrono::seconds(60);
  spdlog::debug("evidence: GCE identity token {} fetched", crypto::fingerprint(token));
  co_return token;
}

}  // namespace tessera::edge
