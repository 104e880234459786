// HubClient: the CLI's side of the hub's admin API (/v1/...), over HTTP with a bearer admin
// token. Resolves which hub and which token to use (flags, environment, ~/.config/tessera/cli.yaml)
// and turns API errors into Errors that keep the server's field details and tell an operator what
// to do about 401, 403 and an unreachable hub. Used by the declarative commands (config_commands).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "common/result.hpp"
#include "net/http_client.hpp"

namespace tessera::cli {

// --hub and --token-file. Resolution:
//   hub:   --hub, else $TESSERA_HUB, else `hub:` in the CLI config file, else http://127.0.0.1:8080
//   token: --token-file, else $TESSERA_TOKEN, else `tokenFile:` in the CLI config file, else none
// The CLI config file is $XDG_CONFIG_HOME/tessera/cli.yaml (default ~/.config/tessera/cli.yaml).
struct HubOptions {
  std::string hub;
  std::string tokenFile;
  void addOptions(CLI::App* command);
};

class HubClient {
 public:
  static Result<HubClient> connect(const HubOptions& options);

  const std::string& url() const noexcept { return url_; }

  // `path` is the API path with its query, e.g. "/v1/serverWorkloads?limit=100".
  Result<nlohmann::json> get(const std::string& path) const;
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body) const;
  Result<void> remove(const std::string& path) const;

 private:
  Result<nlohmann::json> call(net::ClientRequest request) const;

  std::shared_ptr<net::HttpClient> http_;
  std::string url_;  // without a trailing '/'
  std::string token_;
};

}  // namespace tessera::cli
