#include "commands/hub_client.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/yaml_config.hpp"
#include "net/url.hpp"

namespace tessera::cli {

namespace {
constexpr std::string_view kDefaultHub = "http://127.0.0.1:8080";
constexpr std::size_t kMaxResponseBytes = 256 * 1024 * 1024;

std::string envOr(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::filesystem::path cliConfigPath() {
  const std::string xdg = envOr("XDG_CONFIG_HOME");
  if (!xdg.empty()) {
    return std::filesystem::path(xdg) / "tessera" / "cli.yaml";
  }
  const std::string home = envOr("HOME");
  if (home.empty()) {
    return {};
  }
  return std::filesystem::path(home) / ".config" / "tessera" / "cli.yaml";
}

struct CliConfig {
  std::string hub;
  std::string tokenFile;
};

Result<CliConfig> loadCliConfig() {
  CliConfig config;
  const auto path = cliConfigPath();
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    return config;
  }
  TESSERA_DECLARE_OR_RETURN(auto node, ConfigNode::loadFile(path));
  TESSERA_RETURN_IF_ERROR(node.rejectUnknown({"hub", "tokenFile"}));
  TESSERA_ASSIGN_OR_RETURN(config.hub, node.string("hub", ""));
  TESSERA_ASSIGN_OR_RETURN(config.tokenFile, node.string("tokenFile", ""));
  if (!config.tokenFile.empty()) {
    if (config.tokenFile.starts_with("~/") && !envOr("HOME").empty()) {
      config.tokenFile = envOr("HOME") + config.tokenFile.substr(1);
    } else if (std::filesystem::path(config.tokenFile).is_relative()) {
      config.tokenFile = (path.parent_path() / config.tokenFile).string();
    }
  }
  return config;
}

Result<std::string> readToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kInvalidArgument, "cannot read the token file " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) {
    token.erase(0, 1);
  }
  if (token.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the token file " + path + " is empty");
  }
  return token;
}

ErrorCode codeFromWire(std::string_view wire, int status) {
#define X(name, wireName, httpStatus) \
  if (wire == (wireName)) {           \
    return ErrorCode::name;           \
  }
#include "common/error_codes.def"
#undef X
  switch (status) {
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    default:
      return status >= 500 ? ErrorCode::kHttpUpstream : ErrorCode::kInvalidArgument;
  }
}
}  // namespace

void HubOptions::addOptions(CLI::App* command) {
  command->add_option("--hub", hub,
                      "Hub URL (default: $TESSERA_HUB, else `hub:` in "
                      "~/.config/tessera/cli.yaml, else http://127.0.0.1:8080)");
  command->add_option("--token-file", tokenFile,
                      "File holding an admin token (default: $TESSERA_TOKEN, else `tokenFile:` "
                      "in ~/.config/tessera/cli.yaml)");
}

Result<HubClient> HubClient::connect(const HubOptions& options) {
  TESSERA_DECLARE_OR_RETURN(const CliConfig config, loadCliConfig());
  HubClient client;
  client.url_ = options.hub;
  if (client.url_.empty()) {
    client.url_ = envOr("TESSERA_HUB");
  }
  if (client.url_.empty()) {
    client.url_ = config.hub;
  }
  if (client.url_.empty()) {
    client.url_ = std::string(kDefaultHub);
  }
  while (client.url_.ends_with('/')) {
    client.url_.pop_back();
  }
  // The admin token is a bearer credential: it never crosses a network in clear text.
  auto url = net::parseUrl(client.url_);
  if (!url) {
    return fail(ErrorCode::kInvalidArgument, "hub URL " + client.url_ + ": " + url.error().message);
  }
  if (!url->https() && !url->loopback()) {
    return fail(ErrorCode::kInvalidArgument,
                "hub URL " + client.url_ +
                    ": plain http is allowed only on loopback; use https so that the admin "
                    "token is not sent in clear text");
  }
  if (!options.tokenFile.empty()) {
    TESSERA_ASSIGN_OR_RETURN(client.token_, readToken(options.tokenFile));
  } else if (auto env = envOr("TESSERA_TOKEN"); !env.empty()) {
    client.token_ = env;
  } else if (!config.tokenFile.empty()) {
    TESSERA_ASSIGN_OR_RETURN(client.token_, readToken(config.tokenFile));
  }
  net::HttpClientOptions httpOptions;
  httpOptions.maxResponseBytes = kMaxResponseBytes;
  httpOptions.userAgent = "tessera-cli";
  TESSERA_ASSIGN_OR_RETURN(client.http_, net::HttpClient::create(httpOptions));
  return client;
}

Result<nlohmann::json> HubClient::get(const std::string& path) const {
  return call(net::ClientRequest::get(url_ + path));
}

Result<nlohmann::json> HubClient::post(const std::string& path, const nlohmann::json& body) const {
  return call(net::ClientRequest::post(url_ + path, body.dump(), "application/json"));
}

Result<void> HubClient::remove(const std::string& path) const {
  TESSERA_RETURN_IF_ERROR(call(net::ClientRequest("DELETE", url_ + path)));
  return {};
}

Result<nlohmann::json> HubClient::call(net::ClientRequest request) const {
  if (!token_.empty()) {
    request.withHeader("Authorization", "Bearer " + token_);
  }
  request.withHeader("Accept", "application/json");
  auto response = http_->requestBlocking(std::move(request));
  if (!response) {
    const auto& e = response.error();
    if (e.code == ErrorCode::kHttpConnect || e.code == ErrorCode::kTimeout ||
        e.code == ErrorCode::kHttpTls) {
      return Error{e.code, "cannot reach the hub at " + url_ + ": " + e.message +
                               " (is it running? choose another with --hub or TESSERA_HUB)"};
    }
    return Error{e.code, "hub at " + url_ + ": " + e.message};
  }
  const int status = response->status;
  nlohmann::json body;
  if (!response->body.empty()) {
    body = nlohmann::json::parse(response->body, nullptr, false);
    if (body.is_discarded()) {
      return fail(ErrorCode::kHttpUpstream,
                  "the hub at " + url_ + " answered " + std::to_string(status) +
                      " with a body that is not JSON (is " + url_ + " a Tessera hub?)");
    }
  }
  if (status >= 200 && status < 300) {
    return body;
  }
  const std::string wire = body.is_object() ? body.value("error", "") : "";
  Error error{codeFromWire(wire, status),
              body.is_object() ? body.value("message", "") : std::string()};
  if (error.message.empty()) {
    error.message = "the hub answered HTTP " + std::to_string(status);
  }
  if (body.is_object() && body.contains("details") && body["details"].is_array()) {
    for (const auto& d : body["details"]) {
      if (d.is_object()) {
        error.fields.push_back(FieldError{d.value("pointer", ""), d.value("reason", "")});
      }
    }
  }
  if (status == 401) {
    error.message += token_.empty()
                         ? ". No admin token was given: set TESSERA_TOKEN, pass --token-file, or "
                           "set tokenFile in ~/.config/tessera/cli.yaml (`tessera dev` writes one "
                           "to DATA_DIR/admin-token; `tessera admin token create` makes more)"
                         : ". The admin token was refused (revoked, or for another hub?); create "
                           "one with `tessera admin token create`";
  } else if (status == 403) {
    error.message +=
        "; this needs a token whose role may do it (configuration changes: editor or "
        "admin; reads: auditor, editor or admin)";
  }
  return error;
}

}  // namespace tessera::cli
