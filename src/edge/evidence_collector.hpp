// EvidenceCollector: gathers what proves the identity of the workload beside the edge — token
// files (Kubernetes projected service-account tokens, re-read every time because they rotate),
// tokens in environment variables (GitLab CI), a GitHub Actions OIDC token fetched from the
// runner (cached until shortly before it expires), cloud instance metadata (CloudEvidence: AWS
// IMDSv2, Azure attested data, GCE identity token) — and host facts for the context. Called by
// the hub grant source before each access request.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "edge/cloud_evidence.hpp"
#include "edge/edge_config.hpp"
#include "net/http_client.hpp"

namespace tessera::edge {

// What goes into POST /v1/access: `evidence` as the hub parses it ({"tokens": [...]}) and
// unverified context facts (hostname).
struct CollectedEvidence {
  nlohmann::json evidence = nlohmann::json::object();
  std::map<std::string, std::string> context;
};

// Limits on what the edge reads from files, the environment and the runner.
inline constexpr std::size_t kMaxEvidenceTokenBytes = 16 * 1024;

class EvidenceCollector {
 public:
  EvidenceCollector(EvidenceSettings settings, std::shared_ptr<net::HttpClient> http,
                    const Clock& clock);

  // Never fails as a whole: a source that cannot be read is logged (with why) and left out, so
  // that the hub's answer names what is missing. Safe to call concurrently.
  boost::asio::awaitable<CollectedEvidence> collect();

 private:
  boost::asio::awaitable<Result<std::string>> githubToken();

  EvidenceSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  const Clock& clock_;
  CloudEvidence cloud_;
  std::string hostname_;
  std::mutex mutex_;  // guards the cached GitHub token
  std::string githubToken_;
  SystemTime githubTokenRefresh_{};
};

// The `exp` claim of a JWT without verifying it (when to fetch a new one); nullopt if absent.
std::optional<SystemTime> unverifiedExpiry(std::string_view jwt);

}  // namespace tessera::edge
