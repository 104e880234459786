// tessera credentials get --server-workload NAME: a CI job without an edge trades its own OIDC
// token (GitHub Actions' ID token service, a GitLab id_tokens variable, or a file) for the
// credential its access policy grants, at the hub's RFC 8693 token endpoint, and prints it as
// shell exports, JSON, or GitHub Actions step outputs. Secrets go to stdout (or $GITHUB_OUTPUT)
// only, never to stderr.
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "commands/commands.hpp"
#include "commands/hub_context.hpp"
#include "crypto/random.hpp"
#include "hub/token_endpoint.hpp"
#include "net/http_client.hpp"
#include "net/url.hpp"

namespace tessera::cli {

namespace {
using nlohmann::json;

// Exit codes: 1 for local problems (no token, hub unreachable), 3 when the hub refused.
constexpr int kExitRefused = 3;
constexpr std::size_t kMaxTokenBytes = 16 * 1024;

struct GetArgs {
  std::string serverWorkload;
  std::string hub;
  std::string tokenFile;
  std::string tokenEnv;
  std::string audience;
  std::string format = "env";
};

std::string envOr(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  std::size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) {
    ++start;
  }
  return text.substr(start);
}

struct HubEndpoints {
  std::string issuer;
  std::string tokenEndpoint;
};

// The hub's discovery document names its token endpoint and issuer (the default audience of a
// GitHub ID token); a hub behind a path prefix is found the same way.
Result<HubEndpoints> discover(net::HttpClient& http, const std::string& hub) {
  auto response =
      http.requestBlocking(net::ClientRequest::get(hub + "/.well-known/openid-configuration"));
  if (!response) {
    return Error{response.error().code, "cannot reach the hub at " + hub + ": " +
                                            response.error().message +
                                            " (set --hub or TESSERA_HUB)"};
  }
  const auto doc = json::parse(response->body, nullptr, false);
  if (response->status != 200 || !doc.is_object() || !doc.contains("token_endpoint") ||
      !doc["token_endpoint"].is_string() || !doc.contains("issuer") || !doc["issuer"].is_string()) {
    return fail(ErrorCode::kHttpUpstream,
                "the hub at " + hub + " has no token endpoint in its discovery document (HTTP " +
                    std::to_string(response->status) + "; is it a Tessera hub?)");
  }
  return HubEndpoints{doc["issuer"].get<std::string>(), doc["token_endpoint"].get<std::string>()};
}

// GitHub Actions: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with
// "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" answers {"value": "<jwt>"}.
Result<std::string> githubToken(net::HttpClient& http, const std::string& audience) {
  const std::string url = envOr("ACTIONS_ID_TOKEN_REQUEST_URL");
  const std::string bearer = envOr("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
  if (bearer.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not; "
                "give the job `permissions: id-token: write`");
  }
  const std::string full = url + (url.find('?') == std::string::npos ? "?" : "&") +
                           "audience=" + net::percentEncode(audience);
  auto request = net::ClientRequest::get(full);
  request.withHeader("Authorization", "bearer " + bearer);
  request.withHeader("Accept", "application/json");
  auto response = http.requestBlocking(std::move(request));
  if (!response) {
    return Error{response.error().code,
                 "cannot get the GitHub Actions ID token: " + response.error().message};
  }
  const auto doc = json::parse(response->body, nullptr, false);
  if (response->status != 200 || !doc.is_object() || !doc.contains("value") ||
      !doc["value"].is_string() || doc["value"].get_ref<const std::string&>().empty()) {
    return fail(ErrorCode::kHttpUpstream, "the GitHub Actions ID token service answered HTTP " +
                                              std::to_string(response->status) +
                                              " without a token");
  }
  return doc["value"].get<std::string>();
}

Result<std::string> subjectToken(const GetArgs& args, net::HttpClient& http,
                                 const HubEndpoints& endpoints) {
  std::string token;
  if (!args.tokenFile.empty()) {
    std::ifstream in(args.tokenFile, std::ios::binary);
    if (!in) {
      return fail(ErrorCode::kInvalidArgument, "cannot read the token file " + args.tokenFile);
    }
    std::ostringstream text;
    text << in.rdbuf();
    token = trimmed(text.str());
    if (token.empty()) {
      return fail(ErrorCode::kInvalidArgument, "the token file " + args.tokenFile + " is empty");
    }
  } else if (!args.tokenEnv.empty()) {
    token = trimmed(envOr(args.tokenEnv.c_str()));
    if (token.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "the environment variable " + args.tokenEnv + " is empty or not set");
    }
  } else if (!envOr("ACTIONS_ID_TOKEN_REQUEST_URL").empty()) {
    TESSERA_ASSIGN_OR_RETURN(
        token, githubToken(http, args.audience.empty() ? endpoints.issuer : args.audience));
  } else {
    return fail(ErrorCode::kInvalidArgument,
                "no workload token: pass --token-file or --token-env NAME (GitLab: an id_tokens "
                "variable), or run in GitHub Actions with `permissions: id-token: write`");
  }
  if (token.size() > kMaxTokenBytes) {
    return fail(ErrorCode::kInvalidArgument, "the workload token is larger than 16 KiB");
  }
  return token;
}

struct Output {
  std::string name;
  std::string value;
  bool secret = true;
};

// The variables of a credential: well-known names for the types SDKs read, TESSERA_<FIELD>
// for anything else.
std::vector<Output> outputsFor(const json& credential) {
  const std::string type = credential.value("type", "");
  std::vector<Output> out;
  const auto add = [&](const char* field, const char* name, bool secret = true) {
    if (credential.contains(field) && credential[field].is_string()) {
      out.push_back({name, credential[field].get<std::string>(), secret});
    }
  };
  if (type == "aws") {
    add("accessKeyId", "AWS_ACCESS_KEY_ID");
    add("secretAccessKey", "AWS_SECRET_ACCESS_KEY");
    add("sessionToken", "AWS_SESSION_TOKEN");
  } else if (type == "username-password") {
    add("username", "TESSERA_USERNAME");
    add("password", "TESSERA_PASSWORD");
  } else if (type == "api-key") {
    add("apiKey", "TESSERA_API_KEY");
  } else if (credential.contains("accessToken")) {
    add("accessToken", "TESSERA_ACCESS_TOKEN");
  } else if (credential.contains("token")) {
    add("token", "TESSERA_TOKEN");
  } else {
    for (const auto& [field, value] : credential.items()) {
      if (field == "type" || field == "expiresAt" || !value.is_string()) {
        continue;
      }
      std::string name = "TESSERA_";
      for (char c : field) {
        if (std::isupper(static_cast<unsigned char>(c))) {
          name += '_';
        }
        name += static_cast<char>(std::isalnum(static_cast<unsigned char>(c))
                                      ? std::toupper(static_cast<unsigned char>(c))
                                      : '_');
      }
      out.push_back({name, value.get<std::string>(), true});
    }
  }
  add("expiresAt", "TESSERA_EXPIRES_AT", false);
  return out;
}

// 'value' with every ' written as '\'' : nothing inside single quotes is special to sh.
std::string shellQuote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

Result<void> writeGithub(const std::vector<Output>& outputs) {
  const std::string path = envOr("GITHUB_OUTPUT");
  if (path.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "--format github needs GITHUB_OUTPUT (set by GitHub Actions in every step)");
  }
  // Masks first, so that the runner hides the values before anything else could print them.
  for (const auto& o : outputs) {
    if (!o.secret) {
      continue;
    }
    std::istringstream lines(o.value);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) {
        std::cout << "::add-mask::" << line << "\n";
      }
    }
  }
  std::cout.flush();
  std::ofstream file(path, std::ios::app | std::ios::binary);
  if (!file) {
    return fail(ErrorCode::kIo, "cannot append to GITHUB_OUTPUT " + path);
  }
  for (const auto& o : outputs) {
    // The heredoc form keeps any value intact; a random delimiter cannot occur in it.
    std::string delimiter;
    do {
      delimiter = "ghadelimiter_" + crypto::randomToken(16);
    } while (o.value.find(delimiter) != std::string::npos);
    file << o.name << "<<" << delimiter << "\n" << o.value << "\n" << delimiter << "\n";
  }
  file.flush();
  if (!file) {
    return fail(ErrorCode::kIo, "cannot write GITHUB_OUTPUT " + path);
  }
  std::cerr << "wrote " << outputs.size() << " outputs to GITHUB_OUTPUT\n";
  return {};
}

int runGet(const GetArgs& args) {
  if (args.format != "env" && args.format != "json" && args.format != "github") {
    return reportError(Error{ErrorCode::kInvalidArgument, "--format must be env, json or github"});
  }
  std::string hubUrl = args.hub.empty() ? envOr("TESSERA_HUB") : args.hub;
  if (hubUrl.empty()) {
    return reportError(
        Error{ErrorCode::kInvalidArgument, "give the hub with --hub or TESSERA_HUB"});
  }
  while (hubUrl.ends_with('/')) {
    hubUrl.pop_back();
  }
  const auto parsed = net::parseUrl(hubUrl);
  if (!parsed) {
    return reportError(
        Error{ErrorCode::kInvalidArgument, "hub URL " + hubUrl + ": " + parsed.error().message});
  }
  if (!parsed->https() && !parsed->loopback()) {
    return reportError(Error{ErrorCode::kInvalidArgument,
                             "hub URL " + hubUrl +
                                 ": plain http is allowed only on loopback; use https so that "
                                 "the workload token and the credential stay private"});
  }
  net::HttpClientOptions options;
  options.userAgent = "tessera-cli";
  auto http = net::HttpClient::create(options);
  if (!http) {
    return reportError(http.error());
  }
  auto endpoints = discover(**http, hubUrl);
  if (!endpoints) {
    return reportError(endpoints.error());
  }
  auto token = subjectToken(args, **http, *endpoints);
  if (!token) {
    return reportError(token.error());
  }
  const net::QueryParams form = {
      {"grant_type", std::string(hub::kTokenExchangeGrantType)},
      {"subject_token", *token},
      {"subject_token_type", std::string(hub::kJwtTokenType)},
      {"audience", args.serverWorkload},
      {"requested_token_type", std::string(hub::kTesseraCredentialType)}};
  std::string body;
  for (const auto& [name, value] : form) {
    body += (body.empty() ? "" : "&") + name + "=" + net::percentEncode(value);
  }
  auto response = (*http)->requestBlocking(net::ClientRequest::post(
      endpoints->tokenEndpoint, std::move(body), "application/x-www-form-urlencoded"));
  if (!response) {
    return reportError(Error{response.error().code, "cannot reach the hub's token endpoint " +
                                                        endpoints->tokenEndpoint + ": " +
                                                        response.error().message});
  }
  const auto answer = json::parse(response->body, nullptr, false);
  if (!answer.is_object()) {
    return reportError(Error{
        ErrorCode::kHttpUpstream,
        "the token endpoint answered HTTP " + std::to_string(response->status) + " without JSON"});
  }
  if (response->status != 200) {
    // The hub's OAuth error holds no secret: the reason and the access event's context id.
    std::cerr << "error: the hub refused: " << answer.value("error", "unknown_error") << ": "
              << answer.value("error_description", "") << "\n";
    return response->status >= 500 ? 1 : kExitRefused;
  }
  if (!answer.contains("tessera_credential") || !answer["tessera_credential"].is_object()) {
    return reportError(
        Error{ErrorCode::kHttpUpstream, "the token endpoint's answer has no tessera_credential"});
  }
  const auto& credential = answer["tessera_credential"];
  if (args.format == "json") {
    json out = {{"serverWorkload", args.serverWorkload},
                {"credential", credential},
                {"expiresIn", answer.value("expires_in", 0)},
                {"contextId", answer.value("tessera_context_id", "")}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  const auto outputs = outputsFor(credential);
  if (args.format == "github") {
    if (auto written = writeGithub(outputs); !written) {
      return reportError(written.error());
    }
    return 0;
  }
  for (const auto& o : outputs) {
    std::cout << "export " << o.name << "=" << shellQuote(o.value) << "\n";
  }
  return 0;
}
}  // namespace

void registerCredentialsCommands(CLI::App& app, int& exitCode) {
  auto* credentials =
      app.add_subcommand("credentials", "Credentials for CI jobs and scripts without an edge");
  credentials->require_subcommand(1);
  auto args = std::make_shared<GetArgs>();
  auto* get = credentials->add_subcommand(
      "get",
      "Trade this job's OIDC token for a server workload's credential (RFC 8693 token exchange "
      "at the hub) and print it.\n"
      "Token: --token-file, --token-env NAME (GitLab: an id_tokens variable), or GitHub Actions' "
      "ID token (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, audience --audience, default the hub's "
      "issuer).\n"
      "--format env: export lines (aws: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
      "AWS_SESSION_TOKEN; id-token, bearer-token: TESSERA_TOKEN; gcp, azure, oauth: "
      "TESSERA_ACCESS_TOKEN; username-password: TESSERA_USERNAME, TESSERA_PASSWORD; api-key: "
      "TESSERA_API_KEY; always TESSERA_EXPIRES_AT). json: {serverWorkload, credential, expiresIn, "
      "contextId}. github: ::add-mask:: lines on stdout, the same names appended to "
      "$GITHUB_OUTPUT.\n"
      "Exit codes: 0 printed, 1 local or network error, 2 usage, 3 the hub refused.");
  get->add_option("--server-workload", args->serverWorkload,
                  "The server workload (its name, or https://host[:port])")
      ->required();
  get->add_option("--hub", args->hub, "Hub URL (default: $TESSERA_HUB)");
  get->add_option("--token-file", args->tokenFile, "File holding the workload's OIDC token");
  get->add_option("--token-env", args->tokenEnv,
                  "Environment variable holding the workload's OIDC token");
  get->add_option("--audience", args->audience,
                  "Audience of the GitHub Actions ID token (default: the hub's issuer)");
  get->add_option("--format", args->format, "env, json or github (default env)")
      ->check(CLI::IsMember({"env", "json", "github"}));
  get->callback([args, &exitCode] { exitCode = runGet(*args); });
}

}  // namespace tessera::cli
