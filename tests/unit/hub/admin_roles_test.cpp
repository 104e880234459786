// Every admin API route × every kind of caller, against a hub on SQLite: no, malformed or revoked
// token → 401 with WWW-Authenticate; a role without the route's permission → 403 naming the role;
// a role with it → the request succeeds. The expectations come from the roles table below, written
// independently of permissions.hpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "hub/hub.hpp"
#include "model/config_object.hpp"
#include "model/kind.hpp"
#include "net/http_client.hpp"
#include "test_hub.hpp"

namespace tessera::hub {
namespace {

using nlohmann::json;

// What each role may do, as docs/api.md states it.
const std::map<std::string, std::set<Permission>>& rolesTable() {
  static const std::map<std::string, std::set<Permission>> table = {
      {"admin",
       {Permission::kConfigRead, Permission::kConfigWrite, Permission::kAuditRead,
        Permission::kTokenManage, Permission::kAccessExplain}},
      {"editor", {Permission::kConfigRead, Permission::kConfigWrite, Permission::kAccessExplain}},
      {"auditor", {Permission::kConfigRead, Permission::kAuditRead, Permission::kAccessExplain}},
      {"edge", {Permission::kAccess}},
  };
  return table;
}

// Valid specs for one object of each kind; the policy refers to the objects named "ref".
json specFor(model::Kind kind) {
  switch (kind) {
    case model::Kind::kClientWorkload:
      return {{"match", {{"attribute", "k8s.namespace"}, {"equals", "payments"}}}};
    case model::Kind::kServerWorkload:
      return {{"host", "api.example.com"},
              {"port", 443},
              {"protocol", "http"},
              {"authentication", {{"method", "bearer"}}}};
    case model::Kind::kTrustProvider:
      return {
          {"type", "oidc"}, {"issuer", "https://issuer.example.com"}, {"audiences", {"tessera"}}};
    case model::Kind::kAccessCondition:
      return {{"type", "network"}, {"allow", {"10.0.0.0/8"}}};
    case model::Kind::kCredentialProvider:
      return {{"type", "static-secret"}, {"secretType", "api-key"}, {"value", "s3cr3t-value"}};
    case model::Kind::kAccessPolicy:
      return {{"clientWorkloads", {"ref"}},
              {"trustProviders", {{"match", "any"}, {"names", {"ref"}}}},
              {"accessConditions", {"ref"}},
              {"credentialProvider", "ref"},
              {"serverWorkload", "ref"}};
  }
  return json::object();
}

json documentFor(model::Kind kind, const std::string& name) {
  return {{"apiVersion", model::kApiVersion},
          {"kind", model::kindName(kind)},
          {"metadata", {{"name", name}}},
          {"spec", specFor(kind)}};
}

std::optional<model::Kind> kindOfPattern(const std::string& pattern) {
  for (model::Kind kind : model::kAllKinds) {
    const std::string base = "/v1/" + std::string(model::collectionName(kind));
    if (pattern == base || pattern == base + "/{name}") {
      return kind;
    }
  }
  return std::nullopt;
}

struct Principal {
  std::string label;
  std::optional<std::string> authorization;  // the header value; none: no header
  std::optional<std::string> role;           // a valid, unrevoked token's role
};

class AdminRoles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tessera-admin-roles-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    hub_ = testing::startTestHub(testing::testHubConfig("admin-roles", "sqlite", dir_));
    base_ = "http://127.0.0.1:" + std::to_string(hub_->port());
  }
  void TearDown() override {
    if (hub_) {
      hub_->stop();
    }
    std::filesystem::remove_all(dir_);
  }

  // Objects "ref" (referenced by the policy) and "spare" (referenced by nothing) of every kind,
  // as they were: re-applied before every request so that each one finds them.
  void restoreFixtures() {
    std::vector<model::DesiredObject> desired;
    for (model::Kind kind : model::kAllKinds) {
      for (const char* name : {"ref", "spare"}) {
        model::FieldErrors errors;
        auto object = model::parseConfigObject(documentFor(kind, name), std::nullopt, "", errors);
        ASSERT_TRUE(object.has_value()) << errors.toError("fixture").describe();
        desired.push_back(model::DesiredObject{std::move(*object), ""});
      }
    }
    auto applied =
        hub_->configService().apply(std::move(desired), model::ApplyMode::kUpsert, "test:fixtures");
    ASSERT_TRUE(applied.ok()) << applied.error().describe();
  }

  std::string createToken(AdminRole role) {
    auto issued = hub_->adminTokens().create(role, "admin roles test");
    EXPECT_TRUE(issued.ok()) << issued.error().describe();
    return issued.ok() ? issued->token : "";
  }

  // The context id of an access event made by an edge, once stored.
  std::string recordedEventId() {
    if (eventId_.empty()) {
      const auto edge = hub_->adminTokens().create(AdminRole::kEdge, "walk");
      auto request = net::ClientRequest::post(
          base_ + "/v1/access",
          json{{"target", {{"host", "db.example.com"}, {"port", 5432}, {"protocol", "postgres"}}}}
              .dump(),
          "application/json");
      request.withHeader("Authorization", "Bearer " + edge->token);
      auto response = client_->requestBlocking(request);
      EXPECT_TRUE(response.ok() && response->status == 200);
      eventId_ = json::parse(response->body).value("contextId", "");
      EXPECT_TRUE(hub_->accessEvents().flush().ok());
    }
    return eventId_;
  }

  // A request to `route` that succeeds for a caller allowed to make it.
  net::ClientRequest requestFor(const AdminRoute& route) {
    std::string path = route.pattern;
    std::string body;
    const auto kind = kindOfPattern(route.pattern);
    if (const auto at = path.find("{name}"); at != std::string::npos) {
      path.replace(at, 6, "spare");
    }
    if (const auto at = path.find("{id}"); at != std::string::npos) {
      if (path.starts_with("/v1/events")) {
        path.replace(at, 4, recordedEventId());
      } else {
        auto victim = hub_->adminTokens().create(AdminRole::kAuditor, "to be revoked");
        EXPECT_TRUE(victim.ok());
        path.replace(at, 4, victim->record.id);
      }
    }
    if (route.method == "POST" && kind) {
      body = documentFor(*kind, "new-" + std::to_string(++serial_)).dump();
    } else if (route.method == "PUT" && kind) {
      auto doc = documentFor(*kind, "spare");
      doc["metadata"]["labels"] = {{"walk", std::to_string(++serial_)}};
      body = doc.dump();
    } else if (route.pattern == "/v1/apply") {
      json objects = json::array();
      for (model::Kind k : model::kAllKinds) {
        objects.push_back(documentFor(k, "spare"));
      }
      body = json{{"objects", objects}}.dump();
    } else if (route.pattern.starts_with("/v1/access")) {
      body = json{{"target", {{"host", "api.example.com"}, {"port", 443}, {"protocol", "http"}}}}
                 .dump();
    } else if (route.pattern == "/v1/adminTokens" && route.method == "POST") {
      body = json{{"role", "auditor"}, {"description", "walk"}}.dump();
    }
    net::ClientRequest request(route.method, base_ + path);
    if (!body.empty()) {
      request.withBody(body, "application/json");
    }
    return request;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Hub> hub_;
  std::string base_;
  int serial_ = 0;
  std::string eventId_;
  std::shared_ptr<net::HttpClient> client_ = *net::HttpClient::create();
};

TEST_F(AdminRoles, EveryRouteForEveryCaller) {
  std::vector<Principal> principals;
  for (const auto& [role, permissions] : rolesTable()) {
    Principal p;
    p.label = role;
    p.authorization = "Bearer " + createToken(*adminRoleFromName(role));
    p.role = role;
    principals.push_back(p);
  }
  Principal none;
  none.label = "no token";
  principals.push_back(none);
  Principal malformed;
  malformed.label = "malformed token";
  malformed.authorization = "Bearer not-a-tessera-token";
  principals.push_back(malformed);
  Principal basic;
  basic.label = "basic scheme";
  basic.authorization = "Basic YWRtaW46YWRtaW4=";
  principals.push_back(basic);
  {
    auto issued = hub_->adminTokens().create(AdminRole::kAdmin, "revoked");
    ASSERT_TRUE(issued.ok());
    ASSERT_TRUE(hub_->adminTokens().revoke(issued->record.id).ok());
    Principal revoked;
    revoked.label = "revoked admin token";
    revoked.authorization = "Bearer " + issued->token;
    principals.push_back(revoked);
  }

  const auto& routes = hub_->adminRoutes();
  // Five per kind; apply, export, audit; three for admin tokens; access, explain, two for
  // access events; the edge routes.
  ASSERT_EQ(routes.size(), model::kAllKinds.size() * 5 + 11);
  int checked = 0;
  for (const auto& route : routes) {
    for (const auto& who : principals) {
      SCOPED_TRACE(route.method + " " + route.pattern + " as " + who.label);
      restoreFixtures();
      auto request = requestFor(route);
      if (who.authorization) {
        request.withHeader("Authorization", *who.authorization);
      }
      auto response = client_->requestBlocking(request);
      ASSERT_TRUE(response.ok()) << response.error().describe();
      const auto body = json::parse(response->body.empty() ? "{}" : response->body, nullptr, false);
      ASSERT_FALSE(body.is_discarded()) << response->body;
      ++checked;
      if (!who.role) {
        EXPECT_EQ(response->status, 401) << response->body;
        const auto challenge = response->headers.get("WWW-Authenticate");
        ASSERT_TRUE(challenge.has_value());
        EXPECT_EQ(challenge->rfind("Bearer", 0), 0u) << *challenge;
        EXPECT_EQ(body.value("error", ""), "unauthenticated");
        continue;
      }
      const bool allowed = rolesTable().at(*who.role).contains(route.permission);
      if (!allowed) {
        EXPECT_EQ(response->status, 403) << response->body;
        EXPECT_EQ(body.value("error", ""), "permission_denied");
        EXPECT_NE(body.value("message", "").find("role " + *who.role), std::string::npos)
            << body.value("message", "");
        EXPECT_FALSE(response->headers.get("WWW-Authenticate").has_value());
        continue;
      }
      EXPECT_NE(response->status, 401) << response->body;
      EXPECT_NE(response->status, 403) << response->body;
      EXPECT_GE(response->status, 200) << response->body;
      EXPECT_LT(response->status, 300) << response->body;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(routes.size() * principals.size()));
}

// Every permission the table grants is needed by some route: the walk above covers each entry
// of the table.
TEST_F(AdminRoles, EveryRolesPermissionIsUsedByARoute) {
  std::set<Permission> used;
  for (const auto& route : hub_->adminRoutes()) {
    used.insert(route.permission);
  }
  for (const auto& [role, permissions] : rolesTable()) {
    for (Permission p : permissions) {
      EXPECT_TRUE(used.contains(p)) << role << " holds a permission no route needs";
    }
  }
  EXPECT_TRUE(used.contains(Permission::kAccess)) << "the access API is for edges";
}

}  // namespace
}  // namespace tessera::hub
