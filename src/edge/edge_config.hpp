// The edge's configuration (edge.yaml): how it reaches the hub and proves itself, where it listens
// (explicit proxy, transparent listener, PostgreSQL listeners, cloud-SDK metadata endpoints, health
// and metrics), the CA it decrypts TLS with, the evidence it collects from the workload beside it,
// and the grant cache. Loaded and fully validated at start by `tessera edge`; `tessera dev` builds
// one in code.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "edge/metadata_routes.hpp"

namespace tessera::edge {

struct HubConnectionSettings {
  std::string url;  // https:// (http:// only on loopback)
  // The edge's admin token (role edge): from a file (re-read on every start) or an env var.
  std::optional<std::filesystem::path> tokenFile;
  std::optional<std::string> tokenEnv;
  std::optional<std::filesystem::path> caBundle;  // verifies the hub; default system roots
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
  std::chrono::milliseconds routesRefresh = std::chrono::seconds(10);
};

struct ProxySettings {
  std::string listen{};  // "" disables the explicit proxy
  // proxy.transparentListen: where an iptables/nftables REDIRECT sends workload connections
  // (SO_ORIGINAL_DST names their destination); "" disables transparent mode. The limits and
  // timeouts below apply to both listeners.
  std::string transparentListen{};
  std::size_t maxConnections = 10'000;
  std::size_t maxHeaderBytes = 64 * 1024;
  std::chrono::milliseconds idleTimeout = std::chrono::seconds(60);
  std::chrono::milliseconds connectTimeout = std::chrono::seconds(10);
  // A request head's arrival once begun, each body read and write, a server's answer.
  std::chrono::milliseconds ioTimeout = std::chrono::seconds(60);
  // How long a stopping edge lets requests under way finish before it closes what remains.
  std::chrono::milliseconds drainTimeout = std::chrono::seconds(10);
};

// TLS decrypt: the edge CA (files, or self-signed and kept in a directory in dev mode) and what
// the edge trusts when it connects to servers itself.
struct DecryptSettings {
  std::optional<std::filesystem::path> caCertFile;
  std::optional<std::filesystem::path> caKeyFile;
  std::optional<std::filesystem::path> selfSignedDir;  // makes ca.crt/ca.key there once
  std::optional<std::filesystem::path> upstreamCaBundle;
  bool enabled() const { return caCertFile.has_value() || selfSignedDir.has_value(); }
};

// AWS EC2 IMDSv2: the instance identity document (+ rsa2048) and a GetCallerIdentity signed with
// the instance role's credentials for the hub to replay to STS.
struct AwsImdsSettings {
  std::string endpoint = "http://169.254.169.254";
  bool identityDocument = true;
  bool role = true;
  std::string region = "us-east-1";                        // the SigV4 scope of the signed request
  std::string stsEndpoint = "https://sts.amazonaws.com/";  // must be on the hub's allowlist
  std::string serverId{};  // the hub's X-Tessera-Server-ID; required with role
};

// Azure IMDS attested data (the nonce is the Unix time the edge asks at, as the hub expects).
struct AzureImdsSettings {
  std::string endpoint = "http://169.254.169.254";
};

// GCE metadata server: a Google-signed identity token (format=full) for the hub's audience.
struct GceMetadataSettings {
  std::string endpoint = "http://metadata.google.internal";
  std::string audience;
};

struct EvidenceSettings {
  // Token files read on every collection (Kubernetes projected service-account tokens rotate).
  std::vector<std::filesystem::path> tokenFiles;
  // Environment variables holding a token (GitLab CI id_tokens, ...).
  std::vector<std::string> tokenEnv;
  // GitHub Actions: request an OIDC token for this audience from ACTIONS_ID_TOKEN_REQUEST_URL.
  std::optional<std::string> githubAudience;
  bool hostFacts = true;  // hostname in the access request's context (unverified)
  std::optional<AwsImdsSettings> awsImds;
  std::optional<AzureImdsSettings> azureImds;
  std::optional<GceMetadataSettings> gceMetadata;
};

struct GrantCacheSettings {
  std::size_t maxEntries = 1'000;
  // A refusal by the hub is remembered this long before the hub is asked again.
  std::chrono::milliseconds deniedTtl = std::chrono::seconds(2);
};

struct PostgresListenerSettings {
  std::string listen;  // where clients connect
  std::string host;    // the server workload's target
  std::uint16_t port = 5432;
  std::string tlsMode = "disable";  // disable | require | verify-full
  std::optional<std::filesystem::path> caBundle;
  std::string serverName{};
};

// The cloud-SDK metadata endpoints on one loopback listener.
struct MetadataSettings {
  std::string listen{};  // "" disables them
  MetadataRoutesOptions routes;
};

struct EdgeConfig {
  HubConnectionSettings hub;
  ProxySettings proxy;
  DecryptSettings decrypt;
  std::string adminListen = "127.0.0.1:9901";  // /healthz, /metrics
  EvidenceSettings evidence;
  GrantCacheSettings grants;
  std::vector<PostgresListenerSettings> postgres;
  MetadataSettings metadata;
  int threads = 0;  // 0: one per core
  std::string logLevel = "info";
  std::string logFormat = "text";
};

// Relative paths resolve against `baseDir` (the file's directory). kConfigInvalid naming the
// file, line and field.
Result<EdgeConfig> parseEdgeConfig(std::string_view yaml, const std::string& sourceName,
                                   const std::filesystem::path& baseDir);
Result<EdgeConfig> loadEdgeConfig(const std::filesystem::path& file);

}  // namespace tessera::edge
