// tessera dev: the hub and an edge together on the embedded SQLite store, plus (with --peers)
// the development stand-ins the example needs on one machine: moto for S3 and STS, and a
// development OIDC issuer for Kubernetes pods and GitHub Actions. Applies the example objects
// (--examples) with the ${TESSERA_DEV_*} placeholders filled in, prints where everything is and
// three commands to try. Ctrl-C stops everything; a second run reuses the data directory.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>

#include "commands/commands.hpp"
#include "commands/dev_peers_process.hpp"
#include "commands/hub_client.hpp"
#include "commands/hub_context.hpp"
#include "common/log.hpp"
#include "edge/edge.hpp"
#include "edge/edge_config.hpp"
#include "hub/dev_mode.hpp"
#include "hub/hub.hpp"
#include "model/yaml_documents.hpp"
#include "net/shutdown_signal.hpp"

namespace tessera::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct DevOptions {
  std::string dataDir = "./.tessera-dev";
  std::string listen = "127.0.0.1:8080";
  std::string proxyListen = "127.0.0.1:3128";
  std::string edgeAdminListen = "127.0.0.1:9901";
  std::string peers;     // tests/standins/dev_peers.py (make dev passes it)
  std::string examples;  // examples/dev
  int awsPort = 4566;
  int issuerPort = 8091;
  int stsPort = 8092;
};

Result<std::string> readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kInvalidArgument, "cannot read " + path.string());
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces every ${TESSERA_DEV_NAME}; a name without a value is an error naming the file.
Result<std::string> substitute(std::string text, const std::map<std::string, std::string>& values,
                               const std::string& where) {
  static const std::regex kPlaceholder(R"(\$\{(TESSERA_DEV_[A-Z0-9_]+)\})");
  std::string out;
  auto it = std::sregex_iterator(text.begin(), text.end(), kPlaceholder);
  std::size_t last = 0;
  for (; it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    const auto found = values.find(m[1].str());
    if (found == values.end()) {
      return fail(ErrorCode::kInvalidArgument,
                  where + ": no value for ${" + m[1].str() + "} (start with --peers?)");
    }
    out += text.substr(last, static_cast<std::size_t>(m.position(0)) - last) + found->second;
    last = static_cast<std::size_t>(m.position(0) + m.length(0));
  }
  return out + text.substr(last);
}

// POST /v1/apply of every *.yaml in `dir` (name order), one transaction.
Result<std::size_t> applyExamples(const fs::path& dir, const std::string& hubUrl,
                                  const fs::path& adminTokenFile,
                                  const std::map<std::string, std::string>& values) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  json objects = json::array();
  for (const auto& file : files) {
    TESSERA_DECLARE_OR_RETURN(const auto raw, readText(file));
    TESSERA_DECLARE_OR_RETURN(const auto text, substitute(raw, values, file.string()));
    TESSERA_DECLARE_OR_RETURN(const auto docs, model::parseYamlDocuments(text, file.string()));
    for (const auto& d : docs) {
      objects.push_back(d.value);
    }
  }
  if (objects.empty()) {
    return std::size_t{0};
  }
  HubOptions options{hubUrl, adminTokenFile.string()};
  TESSERA_DECLARE_OR_RETURN(const auto hub, HubClient::connect(options));
  TESSERA_DECLARE_OR_RETURN(const auto answer,
                            hub.post("/v1/apply", json{{"objects", objects}, {"dryRun", false}}));
  (void)answer;
  return objects.size();
}

std::string edgeYaml(const DevOptions& o, const std::string& hubUrl, const fs::path& edgeDir,
                     const std::string& podTokenFile) {
  std::ostringstream y;
  y << "# Written by tessera dev on every start: the development edge beside the pod\n"
    << "hub:\n  url: " << hubUrl << "\n  tokenFile: " << (edgeDir / "edge-token").string()
    << "\n  routesRefresh: 1s\n"
    << "proxy:\n  listen: " << o.proxyListen << "\n"
    << "tls:\n  selfSignedDir: " << (edgeDir / "ca").string() << "\n"
    << "admin:\n  listen: " << o.edgeAdminListen << "\n"
    << "evidence:\n  tokenFiles: [" << json(podTokenFile).dump() << "]\n";
  return y.str();
}

Result<void> writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    return fail(ErrorCode::kInternal, "cannot write " + path.string());
  }
  return {};
}

void printBanner(const hub::DevSetup& setup, const std::optional<std::string>& newAdminToken,
                 const edge::Edge* edge, const fs::path& caFile, const DevOptions& o,
                 const std::vector<std::string>& tryLines) {
  const auto& c = setup.config;
  const std::string data = c.sqlitePath.parent_path().string();
  std::cout << "\n"
            << "  Tessera (development mode)\n"
            << "  --------------------------\n"
            << "  Hub         " << c.issuer << "\n"
            << "  Discovery   " << c.issuer << "/.well-known/openid-configuration\n"
            << "  JWKS        " << c.issuer << "/jwks\n"
            << "  Health      " << c.issuer << "/healthz   " << c.issuer << "/readyz\n"
            << "  Metrics     " << c.issuer << "/metrics\n"
            << "  Data        " << data << "\n"
            << "  Admin token "
            << (newAdminToken ? *newAdminToken + "  (new; also in " : std::string("in "))
            << (c.sqlitePath.parent_path() / "admin-token").string() << (newAdminToken ? ")" : "")
            << "\n";
  if (edge != nullptr) {
    std::cout << "  Edge proxy  http://" << o.proxyListen << "   (HTTP_PROXY / HTTPS_PROXY)\n"
              << "  Edge CA     " << caFile.string() << "\n"
              << "  Edge admin  http://" << o.edgeAdminListen << "/healthz  /metrics\n";
  }
  if (!tryLines.empty()) {
    std::cout << "\n  Try (in another terminal, from this directory):\n";
    for (const auto& line : tryLines) {
      std::cout << (line.starts_with("#") ? "  " : "  $ ") << line << "\n";
    }
  }
  std::cout << "\n  Ctrl-C stops everything; a second run reuses the data directory.\n\n"
            << std::flush;
}

int runDev(const DevOptions& o) {
  (void)initLogging("info");
  auto setup = hub::prepareDevMode(o.dataDir, o.listen);
  if (!setup) {
    return reportError(setup.error());
  }
  spdlog::warn(
      "DEVELOPMENT MODE: the key-encryption key is {} beside the data it protects, the hub serves "
      "plain HTTP and the peers are development stand-ins. Never use development mode for real "
      "workloads.",
      setup->config.kek.file->string());
  if (setup->createdKek) {
    spdlog::warn("created a new development key-encryption key at {}",
                 setup->config.kek.file->string());
  }
  const fs::path dataDir = setup->config.sqlitePath.parent_path();
  const std::string hubUrl = setup->config.issuer;

  std::optional<DevPeersProcess> peers;
  std::map<std::string, std::string> values{{"TESSERA_DEV_HUB", hubUrl}};
  if (!o.peers.empty()) {
    spdlog::info(
        "starting the development peers ({}): moto, the STS front, the development "
        "OIDC issuer",
        o.peers);
    auto started = DevPeersProcess::start(
        o.peers,
        {"--hub-issuer", hubUrl, "--state-dir", (dataDir / "peers").string(), "--aws-port",
         std::to_string(o.awsPort), "--issuer-port", std::to_string(o.issuerPort), "--sts-port",
         std::to_string(o.stsPort)},
        std::chrono::seconds(120));
    if (!started) {
      return reportError(started.error());
    }
    peers.emplace(std::move(*started));
    for (const auto& [k, v] : peers->ready()["substitutions"].items()) {
      values[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }

  auto hub = hub::Hub::create(setup->config);
  if (!hub) {
    return reportError(hub.error());
  }
  if (auto started = (*hub)->start(); !started) {
    return reportError(started.error());
  }
  auto adminToken = hub::ensureDevAdminToken(dataDir, (*hub)->adminTokens());
  if (!adminToken) {
    return reportError(adminToken.error());
  }
  const fs::path adminTokenFile = dataDir / "admin-token";

  std::unique_ptr<edge::Edge> edge;
  const fs::path edgeDir = dataDir / "edge";
  const fs::path caFile = edgeDir / "ca" / "ca.crt";
  if (peers) {
    std::error_code ec;
    fs::create_directories(edgeDir, ec);
    fs::permissions(edgeDir, fs::perms::owner_all, ec);
    auto edgeToken = hub::ensureDevToken(edgeDir / "edge-token", (*hub)->adminTokens(),
                                         hub::AdminRole::kEdge, "the tessera dev edge");
    if (!edgeToken) {
      return reportError(edgeToken.error());
    }
    const std::string podToken = peers->ready().value("edgeTokenFile", "");
    const fs::path edgeConfigFile = edgeDir / "edge.yaml";
    if (auto w = writeFile(edgeConfigFile, edgeYaml(o, hubUrl, edgeDir, podToken)); !w) {
      return reportError(w.error());
    }
    auto config = edge::loadEdgeConfig(edgeConfigFile);
    if (!config) {
      return reportError(config.error());
    }
    auto created = edge::Edge::create(std::move(*config));
    if (!created) {
      return reportError(created.error());
    }
    edge = std::move(*created);
    if (auto started = edge->start(); !started) {
      return reportError(started.error());
    }
    values["TESSERA_DEV_PROXY"] = "http://" + o.proxyListen;
    values["TESSERA_DEV_CA_BUNDLE"] = caFile.string();
    values["TESSERA_DEV_EDGE_ADMIN"] = "http://" + o.edgeAdminListen;
  }
  values["TESSERA_DEV_ADMIN_TOKEN_FILE"] = adminTokenFile.string();
  values["TESSERA_DEV_DATA"] = dataDir.string();
  {
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    const auto relative = self.lexically_relative(fs::current_path(ec));
    values["TESSERA_DEV_TESSERA"] =
        ec ? "tessera"
           : (!relative.empty() && !relative.string().starts_with("..") ? relative : self).string();
  }

  std::vector<std::string> tryLines;
  if (!o.examples.empty()) {
    auto applied = applyExamples(o.examples, hubUrl, adminTokenFile, values);
    if (!applied) {
      return reportError(applied.error());
    }
    spdlog::info("applied {} objects from {}", *applied, o.examples);
    const fs::path tryFile = fs::path(o.examples) / "try.txt";
    if (fs::exists(tryFile)) {
      auto raw = readText(tryFile);
      auto text = raw ? substitute(*raw, values, tryFile.string()) : Result<std::string>(raw);
      if (!text) {
        return reportError(text.error());
      }
      std::istringstream lines(*text);
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
          tryLines.push_back(line);
        }
      }
    }
  }
  printBanner(*setup, *adminToken, edge.get(), caFile, o, tryLines);

  net::ShutdownSignal signal;
  const int sig = signal.wait();
  spdlog::info("signal {} received, stopping", sig);
  if (edge) {
    edge->stop();
  }
  (*hub)->stop();
  if (peers) {
    peers->stop();
  }
  return 0;
}

}  // namespace

void registerDevCommands(CLI::App& app, int& exitCode) {
  auto* dev = app.add_subcommand(
      "dev",
      "Run the hub and an edge on the embedded SQLite store (plain HTTP, loopback only); with "
      "--peers also the development stand-ins (moto, an OIDC issuer) and --examples applied");
  auto o = std::make_shared<DevOptions>();
  dev->add_option("--data-dir", o->dataDir, "Where the hub keeps its data")->capture_default_str();
  dev->add_option("--listen", o->listen, "Loopback HOST:PORT the hub serves on")
      ->capture_default_str();
  dev->add_option("--proxy-listen", o->proxyListen, "Loopback HOST:PORT of the edge's proxy")
      ->capture_default_str();
  dev->add_option("--edge-admin-listen", o->edgeAdminListen,
                  "Loopback HOST:PORT of the edge's /healthz and /metrics")
      ->capture_default_str();
  dev->add_option("--peers", o->peers,
                  "The development peers script (tests/standins/dev_peers.py); none: hub only");
  dev->add_option("--examples", o->examples,
                  "Directory of objects to apply (examples/dev), ${TESSERA_DEV_*} filled in");
  dev->add_option("--aws-port", o->awsPort, "moto's port (0: any free port)")
      ->capture_default_str();
  dev->add_option("--issuer-port", o->issuerPort,
                  "The development OIDC issuer's port (0: any free port)")
      ->capture_default_str();
  dev->add_option("--sts-port", o->stsPort, "The STS front's port (0: any free port)")
      ->capture_default_str();
  dev->callback([o, &exitCode] { exitCode = runDev(*o); });
}

}  // namespace tessera::cli
