// The OpenAPI document served at /v1/openapi.json documents exactly the admin API's routes (plus
// itself), every operation names its security, permission and 401/403, every $ref resolves, and
// docs/openapi.json is the document the hub generates.
#include "hub/openapi.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hub/hub.hpp"
#include "net/http_client.hpp"
#include "test_hub.hpp"

namespace tessera::hub {
namespace {

using nlohmann::json;

const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options"};

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

void collectRefs(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) {
        out.push_back(value.get<std::string>());
      } else {
        collectRefs(value, out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& v : node) {
      collectRefs(v, out);
    }
  }
}

class OpenApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("tessera-openapi-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_);
    auto config = testing::testHubConfig("openapi", "sqlite", *dir_);
    config.server.threads = 1;
    hub_ = testing::startTestHub(config).release();
    auto client = net::HttpClient::create();
    auto response = (*client)->requestBlocking(net::ClientRequest::get(
        "http://127.0.0.1:" + std::to_string(hub_->port()) + std::string(kOpenApiPath)));
    if (!response || response->status != 200) {
      throw std::runtime_error("GET /v1/openapi.json failed");
    }
    served_ = new json(json::parse(response->body));
  }
  static void TearDownTestSuite() {
    hub_->stop();
    delete hub_;
    delete served_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static const json& doc() { return *served_; }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline Hub* hub_ = nullptr;
  static inline json* served_ = nullptr;
};

TEST_F(OpenApi, DocumentsExactlyTheAdminRoutesAndItself) {
  std::set<std::pair<std::string, std::string>> expected;
  for (const auto& route : hub_->adminRoutes()) {
    expected.emplace(route.method, route.pattern);
  }
  ASSERT_FALSE(expected.empty());
  expected.emplace("GET", std::string(kOpenApiPath));

  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : doc().at("paths").items()) {
    for (const auto& [method, op] : item.items()) {
      if (kMethods.contains(method)) {
        documented.emplace(upper(method), path);
      }
    }
  }
  for (const auto& r : expected) {
    EXPECT_TRUE(documented.contains(r)) << r.first << " " << r.second << " is not documented";
  }
  for (const auto& d : documented) {
    EXPECT_TRUE(expected.contains(d)) << d.first << " " << d.second << " is not an admin route";
  }

  const auto coverage = openApiCoverage(hub_->adminRoutes());
  for (const auto& r : coverage.undocumented) {
    ADD_FAILURE() << r << " has no documentation: add it to operationDocs() in src/hub/openapi.cpp";
  }
  for (const auto& r : coverage.stale) {
    ADD_FAILURE() << r << " is documented in src/hub/openapi.cpp but is no route";
  }
}

TEST_F(OpenApi, EveryAdminOperationHasSecurityPermissionAndAuthResponses) {
  EXPECT_EQ(doc().at("openapi"), "3.0.3");
  EXPECT_EQ(doc().at("info").at("title"), "Tessera admin API");
  EXPECT_EQ(doc().at("components").at("securitySchemes").at("adminToken").at("scheme"), "bearer");
  std::map<std::pair<std::string, std::string>, Permission> permissions;
  for (const auto& route : hub_->adminRoutes()) {
    permissions.emplace(std::make_pair(route.method, route.pattern), route.permission);
  }
  std::set<std::string> operationIds;
  for (const auto& [path, item] : doc().at("paths").items()) {
    for (const auto& [method, op] : item.items()) {
      SCOPED_TRACE(method + " " + path);
      ASSERT_TRUE(op.contains("operationId"));
      EXPECT_TRUE(operationIds.insert(op["operationId"].get<std::string>()).second)
          << "duplicate operationId " << op["operationId"];
      ASSERT_TRUE(op.contains("responses"));
      ASSERT_TRUE(op.contains("security"));
      if (path == kOpenApiPath) {
        EXPECT_EQ(op["security"], json::array()) << "the document is public";
        continue;
      }
      EXPECT_EQ(op["security"], json::parse(R"([{"adminToken": []}])"));
      EXPECT_TRUE(op["responses"].contains("401"));
      EXPECT_TRUE(op["responses"].contains("403"));
      EXPECT_TRUE(op.contains("summary"));
      bool success = false;
      for (const auto& [status, response] : op["responses"].items()) {
        success = success || status.starts_with('2');
      }
      EXPECT_TRUE(success) << "no success response";
      ASSERT_TRUE(op.contains("x-tessera-permission"));
      ASSERT_TRUE(op.contains("x-tessera-roles"));
      EXPECT_FALSE(op["x-tessera-roles"].empty());
      EXPECT_TRUE(permissions.contains({upper(method), path}));
      for (const auto& p : op.value("parameters", json::array())) {
        if (p["in"] == "path") {
          EXPECT_NE(path.find("{" + p["name"].get<std::string>() + "}"), std::string::npos)
              << "path parameter " << p["name"] << " is not in the path";
        }
      }
      const bool hasBody = method == "post" || method == "put";
      EXPECT_EQ(op.contains("requestBody"), hasBody);
      if (hasBody) {
        EXPECT_TRUE(op["responses"].contains("413"));
        EXPECT_TRUE(op["responses"].contains("415"));
      }
    }
  }
}

TEST_F(OpenApi, EveryReferenceResolves) {
  std::vector<std::string> refs;
  collectRefs(doc(), refs);
  ASSERT_FALSE(refs.empty());
  for (const auto& r : refs) {
    ASSERT_EQ(r.rfind("#/", 0), 0u) << r;
    EXPECT_TRUE(doc().contains(json::json_pointer(r.substr(1)))) << r << " does not resolve";
  }
  for (model::Kind kind : model::kAllKinds) {
    const auto& schema =
        doc().at("components").at("schemas").at(std::string(model::kindName(kind)));
    EXPECT_EQ(schema.at("properties").at("spec"),
              model::SpecRegistry::builtin().specJsonSchema(kind));
  }
}

TEST_F(OpenApi, IsPublic) {
  auto client = *net::HttpClient::create();
  auto response = client->requestBlocking(
      net::ClientRequest::get("http://127.0.0.1:" + std::to_string(hub_->port()) +
                              std::string(kOpenApiPath))
          .withHeader("Authorization", "Bearer not-a-token"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.get("Content-Type").value_or(""), "application/json");
}

TEST_F(OpenApi, RoutesWithoutAHubAreTheHubsRoutes) {
  const auto offline = adminRoutesWithoutHub();
  const auto& online = hub_->adminRoutes();
  ASSERT_EQ(offline.size(), online.size());
  for (std::size_t i = 0; i < offline.size(); ++i) {
    EXPECT_EQ(offline[i].method, online[i].method);
    EXPECT_EQ(offline[i].pattern, online[i].pattern);
    EXPECT_EQ(offline[i].permission, online[i].permission);
  }
  EXPECT_EQ(buildOpenApiDocument(offline, model::SpecRegistry::builtin()), doc());
}

TEST_F(OpenApi, CommittedCopyIsCurrent) {
  const std::filesystem::path committed =
      std::filesystem::path(TESSERA_SOURCE_DIR) / "docs" / "openapi.json";
  const std::filesystem::path generated =
      std::filesystem::temp_directory_path() / "tessera-openapi-generated.json";
  {
    std::ofstream out(generated);
    out << doc().dump(2) << "\n";
  }
  std::ifstream in(committed);
  ASSERT_TRUE(in.good()) << committed << " is missing. Regenerate it with:\n"
                         << "  build/debug/apps/tessera/tessera openapi > docs/openapi.json";
  std::stringstream text;
  text << in.rdbuf();
  const auto parsed = json::parse(text.str(), nullptr, false);
  EXPECT_TRUE(!parsed.is_discarded() && parsed == doc())
      << committed << " differs from the document the hub generates (" << generated
      << "). Regenerate it with:\n  build/debug/apps/tessera/tessera openapi > docs/openapi.json";
  if (!::testing::Test::HasFailure()) {
    std::filesystem::remove(generated);
  }
}

}  // namespace
}  // namespace tessera::hub
