// Serves the edge's metadata routes (src/edge/metadata_routes.hpp) on 127.0.0.1:0 with fixed
// grants, for the interop tests that point unmodified cloud SDKs at them (boto3,
// google-auth-library, @azure/identity). Prints "PORT=<n>" on stdout once it listens and runs
// until stdin closes or SIGTERM/SIGINT arrives.
//
//   edge_metadata_tool <config.json>
//   {"grants": {"<target host>": {"type": "aws", "fields": {...}, "expiresInSeconds": 3600}
//                              | {"error": "permission_denied" | "unavailable", "message": "..."}},
//    "aws":   {"path", "target": {"host", "port", "protocol"}, "authorizationToken",
//              "authorizationTokenFile"},
//    "gce":   {"target", "serviceAccountEmail", "projectId", "numericProjectId", "scopes",
//              "identityAudiences": [{"audience", "target"}]},
//    "azure": {"resources": [{"resource", "target"}], "clientId", "appServicePath",
//              "identityHeader"}}
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "edge/metadata_routes.hpp"
#include "net/http_server.hpp"
#include "net/shutdown_signal.hpp"

using nlohmann::json;
using namespace tessera;

namespace {

// Answers from the configuration; the grant's expiry counts from the tool's start.
class FixedGrantSource final : public edge::GrantSource {
 public:
  FixedGrantSource(const json& grants, SystemTime now) {
    for (const auto& [host, spec] : grants.items()) {
      if (spec.contains("error")) {
        const auto code = spec.at("error").get<std::string>() == "permission_denied"
                              ? ErrorCode::kPermissionDenied
                              : ErrorCode::kUnavailable;
        answers_.emplace(host, Error{code, spec.value("message", std::string("refused"))});
        continue;
      }
      edge::Grant grant;
      grant.credentialType = spec.at("type").get<std::string>();
      grant.fields = spec.at("fields").get<std::map<std::string, std::string>>();
      grant.expiresAt = now + Seconds(spec.value("expiresInSeconds", 3600));
      grant.refreshAt = grant.expiresAt;
      answers_.emplace(host, std::make_shared<const edge::Grant>(std::move(grant)));
    }
  }

  boost::asio::awaitable<Result<std::shared_ptr<const edge::Grant>>> grantFor(
      edge::Target target, edge::ClientContext) override {
    co_return answer(target.host);
  }

 private:
  Result<std::shared_ptr<const edge::Grant>> answer(const std::string& host) const {
    const auto it = answers_.find(host);
    if (it == answers_.end()) {
      return Error{ErrorCode::kNotFound, "no server workload for " + host};
    }
    return it->second;
  }

  std::map<std::string, Result<std::shared_ptr<const edge::Grant>>> answers_;
};

edge::Target targetOf(const json& j) {
  edge::Target t;
  t.host = j.at("host").get<std::string>();
  t.port = j.value("port", std::uint16_t{443});
  t.protocol = j.value("protocol", std::string("http"));
  return t;
}

edge::MetadataRoutesOptions optionsOf(const json& config) {
  edge::MetadataRoutesOptions options;
  if (const auto it = config.find("aws"); it != config.end()) {
    edge::AwsContainerCredentialsOptions aws;
    aws.path = it->value("path", aws.path);
    aws.target = targetOf(it->at("target"));
    aws.authorizationToken = it->value("authorizationToken", std::string());
    aws.authorizationTokenFile = it->value("authorizationTokenFile", std::string());
    options.aws = std::move(aws);
  }
  if (const auto it = config.find("gce"); it != config.end()) {
    edge::GceMetadataOptions gce;
    gce.target = targetOf(it->at("target"));
    gce.serviceAccountEmail = it->value("serviceAccountEmail", std::string());
    gce.projectId = it->value("projectId", std::string());
    gce.numericProjectId = it->value("numericProjectId", std::string());
    gce.scopes = it->value("scopes", gce.scopes);
    for (const auto& a : it->value("identityAudiences", json::array())) {
      gce.identityAudiences.push_back(
          edge::GceAudienceTarget{a.at("audience").get<std::string>(), targetOf(a.at("target"))});
    }
    options.gce = std::move(gce);
  }
  if (const auto it = config.find("azure"); it != config.end()) {
    edge::AzureManagedIdentityOptions azure;
    for (const auto& r : it->value("resources", json::array())) {
      azure.resources.push_back(
          edge::AzureResourceTarget{r.at("resource").get<std::string>(), targetOf(r.at("target"))});
    }
    azure.clientId = it->value("clientId", std::string());
    azure.appServicePath = it->value("appServicePath", azure.appServicePath);
    azure.identityHeader = it->value("identityHeader", std::string());
    options.azure = std::move(azure);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: edge_metadata_tool <config.json>\n";
    return 2;
  }
  // Logs go to stderr: stdout carries only the PORT line the driver reads.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("edge_metadata_tool"));
  spdlog::set_level(spdlog::level::debug);
  std::ifstream in(argv[1]);
  const json config = json::parse(in);
  net::ShutdownSignal shutdownSignal;  // catches SIGTERM/SIGINT from here on

  FixedGrantSource grants(config.value("grants", json::object()), SystemClock::instance().now());
  net::Router router;
  auto added = edge::addMetadataRoutes(router, optionsOf(config), grants, SystemClock::instance());
  if (!added) {
    std::cerr << added.error().describe() << "\n";
    return 1;
  }
  net::HttpServerOptions serverOptions;
  serverOptions.bind = "127.0.0.1:0";
  serverOptions.threads = 2;
  // What the SDKs asked, for reading a failed test's log (paths only: queries may be long).
  serverOptions.accessLog = [](const net::AccessLogEntry& e) {
    spdlog::debug("{} {} -> {}", e.method, e.path, e.status);
  };
  net::HttpServer server(std::move(router), serverOptions);
  if (auto started = server.start(); !started) {
    std::cerr << started.error().describe() << "\n";
    return 1;
  }
  std::cout << "PORT=" << server.port() << std::endl;

  // Stdin closing (the test driver died or is done) ends the tool like SIGTERM does.
  std::thread stdinWatch([] {
    char buffer[256];
    while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
    }
    ::kill(::getpid(), SIGTERM);
  });
  stdinWatch.detach();
  shutdownSignal.wait();
  server.stop(std::chrono::seconds(2));
  return 0;
}
