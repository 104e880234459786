#include "edge/edge_config.hpp"

#include "common/yaml_config.hpp"
#include "net/url.hpp"

namespace tessera::edge {

namespace {
std::filesystem::path resolvePath(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : base / path;
}

Result<std::optional<std::filesystem::path>> optionalPath(const ConfigNode& node,
                                                          std::string_view key,
                                                          const std::filesystem::path& base) {
  if (!node.has(key)) {
    return std::optional<std::filesystem::path>();
  }
  std::string text;
  TESSERA_ASSIGN_OR_RETURN(text, node.requiredString(key));
  if (text.empty()) {
    return node.errorAt(key, "must not be empty");
  }
  return std::optional<std::filesystem::path>(resolvePath(base, text));
}

// "host:port" with a port; the address itself is checked when the listener binds.
Result<void> checkListen(const ConfigNode& node, std::string_view key, const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) {
    return node.errorAt(key, "must be host:port, e.g. 127.0.0.1:3128");
  }
  return {};
}

Result<void> parseHub(const ConfigNode& root, const std::filesystem::path& base, EdgeConfig& c) {
  ConfigNode hub;
  TESSERA_ASSIGN_OR_RETURN(hub, root.child("hub"));
  TESSERA_RETURN_IF_ERROR(
      hub.rejectUnknown({"url", "tokenFile", "tokenEnv", "caBundle", "timeout", "routesRefresh"}));
  TESSERA_ASSIGN_OR_RETURN(c.hub.url, hub.requiredString("url"));
  auto url = net::parseUrl(c.hub.url);
  if (!url || (!url->https() && !url->loopback()) || url->target != "/") {
    return hub.errorAt("url", "must be an https:// URL without a path (http:// only on loopback)");
  }
  while (c.hub.url.ends_with('/')) {
    c.hub.url.pop_back();
  }
  TESSERA_ASSIGN_OR_RETURN(c.hub.tokenFile, optionalPath(hub, "tokenFile", base));
  if (hub.has("tokenEnv")) {
    std::string env;
    TESSERA_ASSIGN_OR_RETURN(env, hub.requiredString("tokenEnv"));
    c.hub.tokenEnv = env;
  }
  if (c.hub.tokenFile.has_value() == c.hub.tokenEnv.has_value()) {
    return hub.errorAt("tokenFile", "exactly one of tokenFile and tokenEnv is required");
  }
  TESSERA_ASSIGN_OR_RETURN(c.hub.caBundle, optionalPath(hub, "caBundle", base));
  TESSERA_ASSIGN_OR_RETURN(c.hub.timeout, hub.duration("timeout", c.hub.timeout));
  TESSERA_ASSIGN_OR_RETURN(c.hub.routesRefresh, hub.duration("routesRefresh", c.hub.routesRefresh));
  if (c.hub.timeout < std::chrono::milliseconds(100) || c.hub.timeout > std::chrono::minutes(1)) {
    return hub.errorAt("timeout", "must be between 100ms and 1m");
  }
  if (c.hub.routesRefresh < std::chrono::seconds(1) ||
      c.hub.routesRefresh > std::chrono::hours(1)) {
    return hub.errorAt("routesRefresh", "must be between 1s and 1h");
  }
  return {};
}

Result<void> parseProxy(const ConfigNode& root, EdgeConfig& c) {
  ConfigNode proxy;
  TESSERA_ASSIGN_OR_RETURN(proxy, root.child("proxy"));
  TESSERA_RETURN_IF_ERROR(
      proxy.rejectUnknown({"listen", "transparentListen", "maxConnections", "maxHeaderBytes",
                           "idleTimeout", "connectTimeout", "ioTimeout", "drainTimeout"}));
  TESSERA_ASSIGN_OR_RETURN(c.proxy.listen, proxy.string("listen", ""));
  if (!c.proxy.listen.empty()) {
    TESSERA_RETURN_IF_ERROR(checkListen(proxy, "listen", c.proxy.listen));
  }
  TESSERA_ASSIGN_OR_RETURN(c.proxy.transparentListen, proxy.string("transparentListen", ""));
  if (!c.proxy.transparentListen.empty()) {
    TESSERA_RETURN_IF_ERROR(checkListen(proxy, "transparentListen", c.proxy.transparentListen));
    if (c.proxy.transparentListen == c.proxy.listen) {
      return proxy.errorAt("transparentListen", "must differ from listen");
    }
  }
  std::int64_t n = 0;
  TESSERA_ASSIGN_OR_RETURN(n, proxy.integer("maxConnections", 10'000, 1, 1'000'000));
  c.proxy.maxConnections = static_cast<std::size_t>(n);
  TESSERA_ASSIGN_OR_RETURN(n, proxy.integer("maxHeaderBytes", 64 * 1024, 1024, 1024 * 1024));
  c.proxy.maxHeaderBytes = static_cast<std::size_t>(n);
  TESSERA_ASSIGN_OR_RETURN(c.proxy.idleTimeout, proxy.duration("idleTimeout", c.proxy.idleTimeout));
  TESSERA_ASSIGN_OR_RETURN(c.proxy.connectTimeout,
                           proxy.duration("connectTimeout", c.proxy.connectTimeout));
  TESSERA_ASSIGN_OR_RETURN(c.proxy.ioTimeout, proxy.duration("ioTimeout", c.proxy.ioTimeout));
  TESSERA_ASSIGN_OR_RETURN(c.proxy.drainTimeout,
                           proxy.duration("drainTimeout", c.proxy.drainTimeout));
  if (c.proxy.drainTimeout > std::chrono::minutes(10)) {
    return proxy.errorAt("drainTimeout", "must be at most 10m");
  }
  return {};
}

Result<void> parseDecrypt(const ConfigNode& root, const std::filesystem::path& base,
                          EdgeConfig& c) {
  ConfigNode tls;
  TESSERA_ASSIGN_OR_RETURN(tls, root.child("tls"));
  TESSERA_RETURN_IF_ERROR(
      tls.rejectUnknown({"caCertFile", "caKeyFile", "selfSignedDir", "upstreamCaBundle"}));
  TESSERA_ASSIGN_OR_RETURN(c.decrypt.caCertFile, optionalPath(tls, "caCertFile", base));
  TESSERA_ASSIGN_OR_RETURN(c.decrypt.caKeyFile, optionalPath(tls, "caKeyFile", base));
  TESSERA_ASSIGN_OR_RETURN(c.decrypt.selfSignedDir, optionalPath(tls, "selfSignedDir", base));
  TESSERA_ASSIGN_OR_RETURN(c.decrypt.upstreamCaBundle, optionalPath(tls, "upstreamCaBundle", base));
  if (c.decrypt.caCertFile.has_value() != c.decrypt.caKeyFile.has_value()) {
    return tls.errorAt("caKeyFile", "caCertFile and caKeyFile go together");
  }
  if (c.decrypt.caCertFile && c.decrypt.selfSignedDir) {
    return tls.errorAt("selfSignedDir", "give either caCertFile/caKeyFile or selfSignedDir");
  }
  return {};
}

// A metadata endpoint or STS URL: absolute http(s), no query. Metadata services speak plain
// HTTP on a link-local address, so http is accepted anywhere here.
Result<std::string> endpointUrl(const ConfigNode& node, std::string_view key,
                                std::string fallback) {
  std::string text;
  TESSERA_ASSIGN_OR_RETURN(text, node.string(key, std::move(fallback)));
  auto url = net::parseUrl(text);
  if (!url) {
    return node.errorAt(key, url.error().message);
  }
  if (url->target.find('?') != std::string::npos) {
    return node.errorAt(key, "must not have a query");
  }
  return url->toString();
}

Result<void> parseCloudEvidence(const ConfigNode& evidence, EvidenceSettings& e) {
  if (evidence.has("awsImds")) {
    ConfigNode aws;
    TESSERA_ASSIGN_OR_RETURN(aws, evidence.child("awsImds"));
    TESSERA_RETURN_IF_ERROR(aws.rejectUnknown(
        {"endpoint", "identityDocument", "role", "region", "stsEndpoint", "serverId"}));
    AwsImdsSettings s;
    TESSERA_ASSIGN_OR_RETURN(s.endpoint, endpointUrl(aws, "endpoint", s.endpoint));
    TESSERA_ASSIGN_OR_RETURN(s.identityDocument, aws.boolean("identityDocument", true));
    TESSERA_ASSIGN_OR_RETURN(s.role, aws.boolean("role", true));
    TESSERA_ASSIGN_OR_RETURN(s.region, aws.string("region", s.region));
    TESSERA_ASSIGN_OR_RETURN(s.stsEndpoint, endpointUrl(aws, "stsEndpoint", s.stsEndpoint));
    TESSERA_ASSIGN_OR_RETURN(s.serverId, aws.string("serverId", ""));
    if (s.role && s.serverId.empty()) {
      // The hub refuses a GetCallerIdentity without its X-Tessera-Server-ID signed in.
      return aws.errorAt("serverId", "is required with role: true (the hub's server id)");
    }
    if (s.region.empty()) {
      return aws.errorAt("region", "must not be empty");
    }
    if (!s.role && !s.identityDocument) {
      return aws.errorAt("role", "identityDocument and role are both off: nothing to collect");
    }
    e.awsImds = std::move(s);
  }
  if (evidence.has("azureImds")) {
    ConfigNode azure;
    TESSERA_ASSIGN_OR_RETURN(azure, evidence.child("azureImds"));
    TESSERA_RETURN_IF_ERROR(azure.rejectUnknown({"endpoint"}));
    AzureImdsSettings s;
    TESSERA_ASSIGN_OR_RETURN(s.endpoint, endpointUrl(azure, "endpoint", s.endpoint));
    e.azureImds = std::move(s);
  }
  if (evidence.has("gceMetadata")) {
    ConfigNode gce;
    TESSERA_ASSIGN_OR_RETURN(gce, evidence.child("gceMetadata"));
    TESSERA_RETURN_IF_ERROR(gce.rejectUnknown({"endpoint", "audience"}));
    GceMetadataSettings s;
    TESSERA_ASSIGN_OR_RETURN(s.endpoint, endpointUrl(gce, "endpoint", s.endpoint));
    TESSERA_ASSIGN_OR_RETURN(s.audience, gce.requiredString("audience"));
    e.gceMetadata = std::move(s);
  }
  return {};
}

Result<void> parseEvidence(const ConfigNode& root, const std::filesystem::path& base,
                           EdgeConfig& c) {
  ConfigNode evidence;
  TESSERA_ASSIGN_OR_RETURN(evidence, root.child("evidence"));
  TESSERA_RETURN_IF_ERROR(
      evidence.rejectUnknown({"tokenFiles", "tokenEnv", "githubActions", "hostFacts", "awsImds",
                              "azureImds", "gceMetadata"}));
  std::vector<std::string> files;
  TESSERA_ASSIGN_OR_RETURN(files, evidence.stringList("tokenFiles", {}));
  for (const auto& f : files) {
    c.evidence.tokenFiles.push_back(resolvePath(base, f));
  }
  TESSERA_ASSIGN_OR_RETURN(c.evidence.tokenEnv, evidence.stringList("tokenEnv", {}));
  if (c.evidence.tokenFiles.size() + c.evidence.tokenEnv.size() > 8) {
    return evidence.errorAt("tokenFiles", "at most 8 token sources");
  }
  if (evidence.has("githubActions")) {
    ConfigNode github;
    TESSERA_ASSIGN_OR_RETURN(github, evidence.child("githubActions"));
    TESSERA_RETURN_IF_ERROR(github.rejectUnknown({"audience"}));
    std::string audience;
    TESSERA_ASSIGN_OR_RETURN(audience, github.requiredString("audience"));
    c.evidence.githubAudience = audience;
  }
  TESSERA_ASSIGN_OR_RETURN(c.evidence.hostFacts, evidence.boolean("hostFacts", true));
  return parseCloudEvidence(evidence, c.evidence);
}

Result<void> parsePostgres(const ConfigNode& root, const std::filesystem::path& base,
                           EdgeConfig& c) {
  std::vector<ConfigNode> listeners;
  TESSERA_ASSIGN_OR_RETURN(listeners, root.children("postgres", 64));
  for (const auto& node : listeners) {
    TESSERA_RETURN_IF_ERROR(
        node.rejectUnknown({"listen", "host", "port", "tls", "caBundle", "serverName"}));
    PostgresListenerSettings s;
    TESSERA_ASSIGN_OR_RETURN(s.listen, node.requiredString("listen"));
    TESSERA_RETURN_IF_ERROR(checkListen(node, "listen", s.listen));
    TESSERA_ASSIGN_OR_RETURN(s.host, node.requiredString("host"));
    std::int64_t port = 0;
    TESSERA_ASSIGN_OR_RETURN(port, node.integer("port", 5432, 1, 65535));
    s.port = static_cast<std::uint16_t>(port);
    TESSERA_ASSIGN_OR_RETURN(s.tlsMode, node.string("tls", "disable"));
    if (s.tlsMode != "disable" && s.tlsMode != "require" && s.tlsMode != "verify-full") {
      return node.errorAt("tls", "must be disable, require or verify-full");
    }
    TESSERA_ASSIGN_OR_RETURN(s.caBundle, optionalPath(node, "caBundle", base));
    TESSERA_ASSIGN_OR_RETURN(s.serverName, node.string("serverName", ""));
    c.postgres.push_back(std::move(s));
  }
  return {};
}
// {host, port} of the server workload whose grant an endpoint serves (protocol http).
Result<Target> parseTarget(const ConfigNode& parent, std::string_view key) {
  ConfigNode node;
  TESSERA_ASSIGN_OR_RETURN(node, parent.child(key));
  if (!parent.has(key)) {
    return parent.errorAt(key, "is required: {host, port} of the server workload");
  }
  TESSERA_RETURN_IF_ERROR(node.rejectUnknown({"host", "port"}));
  Target t;
  TESSERA_ASSIGN_OR_RETURN(t.host, node.requiredString("host"));
  std::int64_t port = 0;
  TESSERA_ASSIGN_OR_RETURN(port, node.integer("port", 443, 1, 65535));
  t.port = static_cast<std::uint16_t>(port);
  t.protocol = "http";
  return t;
}

Result<void> parseMetadata(const ConfigNode& root, const std::filesystem::path& base,
                           EdgeConfig& c) {
  ConfigNode metadata;
  TESSERA_ASSIGN_OR_RETURN(metadata, root.child("metadata"));
  TESSERA_RETURN_IF_ERROR(metadata.rejectUnknown({"listen", "aws", "gce", "azure"}));
  TESSERA_ASSIGN_OR_RETURN(c.metadata.listen, metadata.string("listen", ""));
  const bool any = metadata.has("aws") || metadata.has("gce") || metadata.has("azure");
  if (c.metadata.listen.empty() != !any) {
    return metadata.errorAt("listen", "listen and at least one of aws, gce, azure go together");
  }
  if (!any) {
    return {};
  }
  TESSERA_RETURN_IF_ERROR(checkListen(metadata, "listen", c.metadata.listen));
  if (metadata.has("aws")) {
    ConfigNode aws;
    TESSERA_ASSIGN_OR_RETURN(aws, metadata.child("aws"));
    TESSERA_RETURN_IF_ERROR(
        aws.rejectUnknown({"path", "target", "authorizationToken", "authorizationTokenFile"}));
    AwsContainerCredentialsOptions o;
    TESSERA_ASSIGN_OR_RETURN(o.path, aws.string("path", o.path));
    TESSERA_ASSIGN_OR_RETURN(o.target, parseTarget(aws, "target"));
    TESSERA_ASSIGN_OR_RETURN(o.authorizationToken, aws.string("authorizationToken", ""));
    std::optional<std::filesystem::path> tokenFile;
    TESSERA_ASSIGN_OR_RETURN(tokenFile, optionalPath(aws, "authorizationTokenFile", base));
    if (tokenFile) {
      o.authorizationTokenFile = tokenFile->string();
    }
    if (o.authorizationToken.empty() && o.authorizationTokenFile.empty()) {
      return aws.errorAt("authorizationToken",
                         "authorizationToken or authorizationTokenFile is required: an "
                         "unauthenticated credential endpoint would serve any local process");
    }
    c.metadata.routes.aws = std::move(o);
  }
  if (metadata.has("gce")) {
    ConfigNode gce;
    TESSERA_ASSIGN_OR_RETURN(gce, metadata.child("gce"));
    TESSERA_RETURN_IF_ERROR(gce.rejectUnknown(
        {"target", "serviceAccountEmail", "projectId", "numericProjectId", "identityAudiences"}));
    GceMetadataOptions o;
    TESSERA_ASSIGN_OR_RETURN(o.target, parseTarget(gce, "target"));
    TESSERA_ASSIGN_OR_RETURN(o.serviceAccountEmail, gce.string("serviceAccountEmail", ""));
    TESSERA_ASSIGN_OR_RETURN(o.projectId, gce.string("projectId", ""));
    TESSERA_ASSIGN_OR_RETURN(o.numericProjectId, gce.string("numericProjectId", ""));
    std::vector<ConfigNode> audiences;
    TESSERA_ASSIGN_OR_RETURN(audiences, gce.children("identityAudiences", 32));
    for (const auto& node : audiences) {
      TESSERA_RETURN_IF_ERROR(node.rejectUnknown({"audience", "target"}));
      GceAudienceTarget a;
      TESSERA_ASSIGN_OR_RETURN(a.audience, node.requiredString("audience"));
      TESSERA_ASSIGN_OR_RETURN(a.target, parseTarget(node, "target"));
      o.identityAudiences.push_back(std::move(a));
    }
    c.metadata.routes.gce = std::move(o);
  }
  if (metadata.has("azure")) {
    ConfigNode azure;
    TESSERA_ASSIGN_OR_RETURN(azure, metadata.child("azure"));
    TESSERA_RETURN_IF_ERROR(
        azure.rejectUnknown({"resources", "clientId", "imds", "appServicePath", "identityHeader"}));
    AzureManagedIdentityOptions o;
    std::vector<ConfigNode> resources;
    TESSERA_ASSIGN_OR_RETURN(resources, azure.children("resources", 32));
    if (resources.empty()) {
      return azure.errorAt("resources", "needs at least one {resource, target}");
    }
    for (const auto& node : resources) {
      TESSERA_RETURN_IF_ERROR(node.rejectUnknown({"resource", "target"}));
      AzureResourceTarget r;
      TESSERA_ASSIGN_OR_RETURN(r.resource, node.requiredString("resource"));
      TESSERA_ASSIGN_OR_RETURN(r.target, parseTarget(node, "target"));
      o.resources.push_back(std::move(r));
    }
    TESSERA_ASSIGN_OR_RETURN(o.clientId, azure.string("clientId", ""));
    TESSERA_ASSIGN_OR_RETURN(o.imds, azure.boolean("imds", true));
    TESSERA_ASSIGN_OR_RETURN(o.appServicePath, azure.string("appServicePath", o.appServicePath));
    TESSERA_ASSIGN_OR_RETURN(o.identityHeader, azure.string("identityHeader", ""));
    c.metadata.routes.azure = std::move(o);
  }
  return {};
}
}  // namespace

Result<EdgeConfig> parseEdgeConfig(std::string_view yaml, const std::string& sourceName,
                                   const std::filesystem::path& baseDir) {
  auto parsed = ConfigNode::loadString(yaml, sourceName);
  if (!parsed) {
    return std::move(parsed).error();
  }
  const ConfigNode& root = *parsed;
  TESSERA_RETURN_IF_ERROR(root.rejectUnknown({"hub", "proxy", "tls", "admin", "evidence", "grants",
                                              "postgres", "metadata", "threads", "log"}));
  EdgeConfig c;
  TESSERA_RETURN_IF_ERROR(parseHub(root, baseDir, c));
  TESSERA_RETURN_IF_ERROR(parseProxy(root, c));
  TESSERA_RETURN_IF_ERROR(parseDecrypt(root, baseDir, c));
  TESSERA_RETURN_IF_ERROR(parseEvidence(root, baseDir, c));
  TESSERA_RETURN_IF_ERROR(parsePostgres(root, baseDir, c));
  TESSERA_RETURN_IF_ERROR(parseMetadata(root, baseDir, c));

  ConfigNode admin;
  TESSERA_ASSIGN_OR_RETURN(admin, root.child("admin"));
  TESSERA_RETURN_IF_ERROR(admin.rejectUnknown({"listen"}));
  TESSERA_ASSIGN_OR_RETURN(c.adminListen, admin.string("listen", c.adminListen));
  TESSERA_RETURN_IF_ERROR(checkListen(admin, "listen", c.adminListen));

  ConfigNode grants;
  TESSERA_ASSIGN_OR_RETURN(grants, root.child("grants"));
  TESSERA_RETURN_IF_ERROR(grants.rejectUnknown({"maxEntries", "deniedTtl"}));
  std::int64_t n = 0;
  TESSERA_ASSIGN_OR_RETURN(n, grants.integer("maxEntries", 1'000, 1, 1'000'000));
  c.grants.maxEntries = static_cast<std::size_t>(n);
  TESSERA_ASSIGN_OR_RETURN(c.grants.deniedTtl, grants.duration("deniedTtl", c.grants.deniedTtl));

  TESSERA_ASSIGN_OR_RETURN(n, root.integer("threads", 0, 0, 256));
  c.threads = static_cast<int>(n);

  ConfigNode log;
  TESSERA_ASSIGN_OR_RETURN(log, root.child("log"));
  TESSERA_RETURN_IF_ERROR(log.rejectUnknown({"level", "format"}));
  TESSERA_ASSIGN_OR_RETURN(c.logLevel, log.string("level", c.logLevel));
  TESSERA_ASSIGN_OR_RETURN(c.logFormat, log.string("format", c.logFormat));
  if (c.proxy.listen.empty() && c.proxy.transparentListen.empty() && c.postgres.empty() &&
      c.metadata.listen.empty()) {
    return root.errorAt("proxy",
                        "nothing to serve: set proxy.listen, proxy.transparentListen, a "
                        "postgres listener or metadata");
  }
  return c;
}

Result<EdgeConfig> loadEdgeConfig(const std::filesystem::path& file) {
  auto text = readConfigFile(file);
  if (!text) {
    return std::move(text).error();
  }
  return parseEdgeConfig(*text, file.string(), file.parent_path());
}

}  // namespace tessera::edge
