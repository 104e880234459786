#include "edge/evidence_collector.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/digest.hpp"
#include "jose/base64url.hpp"

namespace tessera::edge {

namespace {
// A token has no whitespace; files often end with a newline.
std::string trimmed(std::string text) {
  const auto end = text.find_last_not_of(" \t\r\n");
  text.erase(end == std::string::npos ? 0 : end + 1);
  const auto begin = text.find_first_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : text.substr(begin);
}

Result<std::string> readTokenFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorCode::kIo, "cannot read " + path.string()};
  }
  std::string text(kMaxEvidenceTokenBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxEvidenceTokenBytes) {
    return Error{
        ErrorCode::kPayloadTooLarge,
        path.string() + " is larger than " + std::to_string(kMaxEvidenceTokenBytes) + " bytes"};
  }
  text = trimmed(std::move(text));
  if (text.empty()) {
    return Error{ErrorCode::kEvidenceMissing, path.string() + " is empty"};
  }
  return text;
}

std::string hostName() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) {
    return {};
  }
  return std::string(name.data());
}
}  // namespace

std::optional<SystemTime> unverifiedExpiry(std::string_view jwt) {
  const auto first = jwt.find('.');
  const auto second = jwt.find('.', first == std::string_view::npos ? 0 : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) {
    return std::nullopt;
  }
  auto payload = jose::base64UrlDecode(jwt.substr(first + 1, second - first - 1));
  if (!payload) {
    return std::nullopt;
  }
  const auto claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!claims.is_object() || !claims.contains("exp") || !claims["exp"].is_number()) {
    return std::nullopt;
  }
  return SystemTime(std::chrono::seconds(claims["exp"].get<std::int64_t>()));
}

EvidenceCollector::EvidenceCollector(EvidenceSettings settings,
                                     std::shared_ptr<net::HttpClient> http, const Clock& clock)
    : settings_(std::move(settings)),
      http_(std::move(http)),
      clock_(clock),
      cloud_(settings_, http_, clock) {
  if (settings_.hostFacts) {
    hostname_ = hostName();
  }
}

boost::asio::awaitable<CollectedEvidence> EvidenceCollector::collect() {
  CollectedEvidence out;
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& file : settings_.tokenFiles) {
    auto token = readTokenFile(file);
    if (!token) {
      spdlog::warn("evidence: token file left out: {}", token.error().describe());
      continue;
    }
    tokens.push_back(std::move(*token));
  }
  for (const auto& name : settings_.tokenEnv) {
    const char* value = std::getenv(name.c_str());
    const std::string token = value == nullptr ? std::string() : trimmed(value);
    if (token.empty() || token.size() > kMaxEvidenceTokenBytes) {
      spdlog::warn("evidence: environment variable {} left out: {}", name,
                   token.empty() ? "not set" : "too large");
      continue;
    }
    tokens.push_back(token);
  }
  if (settings_.githubAudience) {
    auto token = co_await githubToken();
    if (token) {
      tokens.push_back(std::move(*token));
    } else {
      spdlog::warn("evidence: GitHub Actions token left out: {}", token.error().describe());
    }
  }
  if (cloud_.enabled()) {
    co_await cloud_.collect(out.evidence, tokens);
  }
  if (!tokens.empty()) {
    out.evidence["tokens"] = std::move(tokens);
  }
  if (!hostname_.empty()) {
    out.context.emplace("hostname", hostname_);
  }
  co_return out;
}

// The runner hands a job an OIDC token over HTTP: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=...
// with "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" answers {"value": "<jwt>"}.
boost::asio::awaitable<Result<std::string>> EvidenceCollector::githubToken() {
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (!githubToken_.empty() && now < githubTokenRefresh_) {
      co_return githubToken_;
    }
  }
  const char* url = std::getenv("ACTIONS_ID_TOKEN_REQUEST_URL");
  const char* bearer = std::getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
  if (url == nullptr || bearer == nullptr || *url == '\0' || *bearer == '\0') {
    co_return Error{ErrorCode::kEvidenceMissing,
                    "ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are not set (does the workflow have "
                    "permissions: id-token: write?)"};
  }
  std::string target = url;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += "audience=" + net::percentEncode(*settings_.githubAudience);
  auto request = net::ClientRequest::get(target);
  request.withHeader("Authorization", "bearer " + std::string(bearer))
      .withHeader("Accept", "application/json")
      .withMaxResponseBytes(64 * 1024);
  auto response = co_await http_->request(std::move(request));
  if (!response) {
    co_return response.error();
  }
  if (response->status != 200) {
    co_return Error{ErrorCode::kEvidenceMissing,
                    "the runner's token endpoint answered " + std::to_string(response->status)};
  }
  const auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (!body.is_object() || !body.contains("value") || !body["value"].is_string() ||
      body["value"].get_ref<const std::string&>().empty() ||
      body["value"].get_ref<const std::string&>().size() > kMaxEvidenceTokenBytes) {
    co_return Error{ErrorCode::kEvidenceInvalid, "the runner's token answer has no usable value"};
  }
  std::string token = body["value"].get<std::string>();
  const auto expiry = unverifiedExpiry(token).value_or(now + std::chrono::minutes(5));
  std::lock_guard lock(mutex_);
  githubToken_ = token;
  githubTokenRefresh_ = expiry - std::chrono::seconds(60);
  spdlog::debug("evidence: GitHub Actions token {} fetched", crypto::fingerprint(token));
  co_return token;
}

}  // namespace tessera::edge
