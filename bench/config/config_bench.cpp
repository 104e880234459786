// make bench (control plane): apply 10,000 objects in one request to a hub on SQLite and on
// PostgreSQL 15, apply them again (nothing changes), and list them all with pagination. Issue 3's
// target: 10,000 objects applied in under 2 s on SQLite. Optionally (argv[1] = the tessera
// binary) the same apply through `tessera apply -f FILE`, YAML parsing included, as operators
// run it. Prints one line per figure; scripts/run-bench shows them beside the target.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "hub/hub.hpp"
#include "net/http_client.hpp"
#include "test_hub.hpp"

namespace {

using namespace tessera;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kGroups = 1000;  // 10 objects per group: 10,000 objects

json objects() {
  json out = json::array();
  for (int g = 0; g < kGroups; ++g) {
    const std::string n = std::to_string(g);
    out.push_back({{"kind", "TrustProvider"},
                   {"metadata", {{"name", "k8s-" + n}, {"labels", {{"group", n}}}}},
                   {"spec",
                    {{"type", "kubernetes"},
                     {"issuer", "https://k8s-" + n + ".example.com"},
                     {"audiences", {"tessera"}}}}});
    out.push_back({{"kind", "AccessCondition"},
                   {"metadata", {{"name", "office-" + n}}},
                   {"spec", {{"type", "network"}, {"allow", {"10.0.0.0/8"}}}}});
    for (const char* side : {"a", "b"}) {
      const std::string s = n + "-" + side;
      out.push_back(
          {{"kind", "ClientWorkload"},
           {"metadata", {{"name", "pod-" + s}, {"labels", {{"group", n}}}}},
           {"spec", {{"match", {{"attribute", "k8s.namespace"}, {"equals", "ns-" + s}}}}}});
      out.push_back({{"kind", "ServerWorkload"},
                     {"metadata", {{"name", "api-" + s}}},
                     {"spec",
                      {{"host", "api-" + s + ".example.com"},
                       {"port", 443},
                       {"protocol", "http"},
                       {"authentication", {{"method", "bearer"}}}}}});
      out.push_back(
          {{"kind", "CredentialProvider"},
           {"metadata", {{"name", "token-" + s}}},
           {"spec",
            {{"type", "oidc-id-token"}, {"audience", "https://api-" + s + ".example.com"}}}});
      out.push_back({{"kind", "AccessPolicy"},
                     {"metadata", {{"name", "policy-" + s}}},
                     {"spec",
                      {{"clientWorkloads", {"pod-" + s}},
                       {"trustProviders", {{"match", "any"}, {"names", {"k8s-" + n}}}},
                       {"accessConditions", {"office-" + n}},
                       {"credentialProvider", "token-" + s},
                       {"serverWorkload", "api-" + s}}}});
    }
  }
  return out;
}

std::string yamlOf(const json& docs) {
  // JSON is YAML: one flow-style document per object, as a generated file would hold them.
  std::string out;
  for (const auto& d : docs) {
    out += "---\n" + d.dump() + "\n";
  }
  return out;
}

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct Bench {
  std::string store;
  hub::HubConfig config;
};

int run(const Bench& b, const std::string& tessera, const std::filesystem::path& dir) {
  auto started = testing::startTestHub(b.config);
  auto& hub = *started;
  const std::string token = hub.adminTokens().create(hub::AdminRole::kAdmin, "bench")->token;
  const std::string base = "http://127.0.0.1:" + std::to_string(hub.port());
  auto client = *net::HttpClient::create();
  const auto call = [&](const std::string& method, const std::string& path,
                        const std::string& body) {
    net::ClientRequest r(method, base + path);
    r.withHeader("Authorization", "Bearer " + token);
    r.withMaxResponseBytes(64 << 20).withTimeout(std::chrono::minutes(5));
    if (!body.empty()) {
      r.withBody(body, "application/json");
    }
    auto res = client->requestBlocking(std::move(r));
    if (!res || (res->status != 200 && res->status != 201)) {
      std::cerr << method << " " << path
                << " failed: " << (res ? res->body.substr(0, 300) : res.error().describe()) << "\n";
      std::exit(1);
    }
    return json::parse(res->body);
  };

  const json docs = objects();
  const std::string body = json{{"objects", docs}}.dump();
  auto t = Clock::now();
  const json first = call("POST", "/v1/apply", body);
  const double applyCreate = seconds(t);
  t = Clock::now();
  const json second = call("POST", "/v1/apply", body);
  const double applyUnchanged = seconds(t);
  if (first["results"].size() != docs.size() || second["revision"] != first["revision"]) {
    std::cerr << "unexpected apply results\n";
    return 1;
  }

  t = Clock::now();
  std::size_t listed = 0;
  int pages = 0;
  for (model::Kind kind : model::kAllKinds) {
    std::string pageToken;
    do {
      const json page = call("GET",
                             "/v1/" + std::string(model::collectionName(kind)) + "?limit=1000" +
                                 (pageToken.empty() ? "" : "&pageToken=" + pageToken),
                             "");
      listed += page["items"].size();
      ++pages;
      pageToken = page.value("nextPageToken", "");
    } while (!pageToken.empty());
  }
  const double list = seconds(t);
  if (listed != docs.size()) {
    std::cerr << "listed " << listed << " objects, expected " << docs.size() << "\n";
    return 1;
  }
  std::printf("%s apply_create_s %.3f\n", b.store.c_str(), applyCreate);
  std::printf("%s apply_unchanged_s %.3f\n", b.store.c_str(), applyUnchanged);
  std::printf("%s list_all_s %.3f pages %d\n", b.store.c_str(), list, pages);

  if (!tessera.empty()) {
    // The same 10,000 objects changed (a label each), applied from one YAML file by the CLI.
    json changed = docs;
    for (auto& d : changed) {
      d["metadata"]["labels"]["bench"] = "cli";
    }
    const auto file = dir / ("objects-" + b.store + ".yaml");
    std::ofstream(file) << yamlOf(changed);
    const std::string command = "TESSERA_TOKEN=" + token + " " + tessera + " apply --hub " + base +
                                " -f " + file.string() + " > /dev/null";
    t = Clock::now();
    if (std::system(command.c_str()) != 0) {
      std::cerr << "tessera apply failed\n";
      return 1;
    }
    std::printf("%s cli_apply_update_s %.3f\n", b.store.c_str(), seconds(t));
  }
  hub.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string tessera = argc > 1 ? argv[1] : "";
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tessera-config-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  spdlog::set_level(spdlog::level::warn);
  int rc = 0;
  for (const std::string store : {"sqlite", "postgres"}) {
    Bench b;
    b.store = store;
    b.config = testing::testHubConfig("bench", store, dir);
    b.config.server.maxBodyBytes = 1 << 20;
    rc |= run(b, tessera, dir);
  }
  std::filesystem::remove_all(dir);
  return rc;
}
