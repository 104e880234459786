// CloudEvidence: the evidence a cloud's instance metadata service hands the VM the edge runs on —
// AWS IMDSv2 (the instance identity document with its rsa2048 signature, and a GetCallerIdentity
// signed with the instance role's credentials for the hub to replay to STS), Azure IMDS attested
// data, a GCE identity token — each cached while it stays valid at the hub. Called by
// EvidenceCollector::collect; the parsing and signing pieces are free functions so that unit
// tests reach them without a metadata service.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "edge/edge_config.hpp"
#include "net/http_client.hpp"
#include "sigv4/signer.hpp"

namespace tessera::edge {

// Metadata services are local: a slow one is a broken one, and the access request waits on it.
inline constexpr std::chrono::milliseconds kMetadataTimeout{3000};
// What an IMDSv2 session token is asked for; it is reused until shortly before then.
inline constexpr std::chrono::seconds kImdsTokenTtl{300};
// The instance identity document does not change while the instance runs; re-read now and then
// so that a stand-in or a restored snapshot is noticed.
inline constexpr std::chrono::seconds kInstanceDocumentCacheTtl{300};
// The hub accepts a signed GetCallerIdentity and an Azure nonce for 300 s by default; one
// minute of reuse stays well inside that with room for clock skew.
inline constexpr std::chrono::seconds kSignedRequestCacheTtl{60};
inline constexpr std::chrono::seconds kAzureAttestedCacheTtl{60};
// Role credentials are rotated at least five minutes before they expire.
inline constexpr std::chrono::seconds kRoleCredentialsMargin{300};

// Response size limits, each above what the service sends and within what the hub accepts.
inline constexpr std::size_t kMaxImdsTokenBytes = 1024;
inline constexpr std::size_t kMaxImdsListingBytes = 4096;
inline constexpr std::size_t kMaxImdsCredentialsBytes = 16 * 1024;
inline constexpr std::size_t kMaxCloudDocumentBytes = 32 * 1024;  // the hub's document limit
inline constexpr std::size_t kMaxAzureAttestedBytes = 48 * 1024;  // JSON around a 32 KiB signature

// An instance role's credentials as IMDS serves them.
struct ImdsRoleCredentials {
  sigv4::Credentials credentials;
  SystemTime expiration{};
};

// GET /latest/meta-data/iam/security-credentials/ lists role names, one a line; an instance
// profile has exactly one role. kEvidenceMissing when the listing is empty.
Result<std::string> parseImdsRoleName(std::string_view listing);

// The role's credentials JSON: Code must be Success (IMDS reports errors as 200 with another
// Code), AccessKeyId, SecretAccessKey, Token and Expiration (RFC 3339) present.
Result<ImdsRoleCredentials> parseImdsRoleCredentials(std::string_view body);

// sts:GetCallerIdentity as the hub's aws-role trust provider replays it: POST of
// Action=GetCallerIdentity&Version=2011-06-15 to `stsEndpoint`, SigV4-signed in the Authorization
// header for `region`/sts at `now` with X-Tessera-Server-ID = `serverId` signed in. Answers the
// evidence member awsGetCallerIdentity: {"method", "url", "headers", "body"}.
Result<nlohmann::json> signGetCallerIdentity(const sigv4::Credentials& credentials,
                                             std::string_view stsEndpoint, std::string_view region,
                                             std::string_view serverId, SystemTime now);

// Azure's /metadata/attested/document answer {"encoding": "pkcs7", "signature": "..."} as the
// evidence member azureAttestedDocument.
Result<nlohmann::json> parseAzureAttested(std::string_view body);

// The attested-data nonce the hub's azure-attested provider checks: the Unix time in seconds.
std::string azureNonce(SystemTime now);

// A value and the moment it stops being served from the cache.
template <typename T>
struct Cached {
  std::optional<T> value;
  SystemTime refreshAt{};
  bool fresh(SystemTime now) const { return value.has_value() && now < refreshAt; }
};

class CloudEvidence {
 public:
  CloudEvidence(const EvidenceSettings& settings, std::shared_ptr<net::HttpClient> http,
                const Clock& clock);

  bool enabled() const { return aws_ || azure_ || gce_; }

  // Adds what the configured sources give to `evidence` and `tokens`; a source that fails is
  // logged by name and left out (the hub then names what is missing). Safe to call concurrently
  // (two calls may both fetch; the later answer is cached).
  boost::asio::awaitable<void> collect(nlohmann::json& evidence, nlohmann::json& tokens);

 private:
  boost::asio::awaitable<Result<std::string>> imdsToken();
  boost::asio::awaitable<Result<std::string>> imdsGet(const std::string& path,
                                                      std::size_t maxBytes);
  boost::asio::awaitable<Result<nlohmann::json>> awsInstanceIdentity();
  boost::asio::awaitable<Result<nlohmann::json>> awsGetCallerIdentity();
  boost::asio::awaitable<Result<nlohmann::json>> azureAttested();
  boost::asio::awaitable<Result<std::string>> gceIdentityToken();

  std::optional<AwsImdsSettings> aws_;
  std::optional<AzureImdsSettings> azure_;
  std::optional<GceMetadataSettings> gce_;
  std::shared_ptr<net::HttpClient> http_;
  const Clock& clock_;
  std::mutex mutex_;  // guards the caches below
  Cached<std::string> imdsToken_;
  Cached<nlohmann::json> instanceIdentity_;
  Cached<ImdsRoleCredentials> roleCredentials_;
  Cached<nlohmann::json> callerIdentity_;
  Cached<nlohmann::json> azureAttested_;
  Cached<std::string> gceToken_;
};

}  // namespace tessera::edge
