// The admin API against real stores (SQLite and PostgreSQL 15): CRUD per kind, label selectors
// and pagination, If-Match (412), delete while referenced (409 naming the referrers), precise
// field errors, strict bodies and size limits, apply all-or-nothing, audit events with secrets
// redacted, and two hub replicas on one store seeing each other's changes within a second.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "hub/hub.hpp"
#include "net/http_client.hpp"
#include "scratch_dir.hpp"
#include "test_hub.hpp"

namespace tessera::hub {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Reply {
  int status = 0;
  json body;
  net::Headers headers;
};

json serverWorkload(const std::string& name, const std::string& host,
                    json labels = json::object()) {
  return {{"kind", "ServerWorkload"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec",
           {{"host", host},
            {"port", 443},
            {"protocol", "http"},
            {"authentication", {{"method", "bearer"}}}}}};
}

json policyGraph() {
  return json::array({
      {{"kind", "TrustProvider"},
       {"metadata", {{"name", "k8s"}}},
       {"spec",
        {{"type", "kubernetes"},
         {"issuer", "https://kubernetes.default.svc"},
         {"audiences", {"tessera"}}}}},
      {{"kind", "ClientWorkload"},
       {"metadata", {{"name", "pod"}}},
       {"spec", {{"match", {{"attribute", "k8s.namespace"}, {"equals", "default"}}}}}},
      {{"kind", "CredentialProvider"},
       {"metadata", {{"name", "key"}}},
       {"spec", {{"type", "static-secret"}, {"secretType", "api-key"}, {"value", "s3cr3t-value"}}}},
      serverWorkload("api", "api.example.com"),
      {{"kind", "AccessPolicy"},
       {"metadata", {{"name", "pod-to-api"}}},
       {"spec",
        {{"clientWorkloads", {"pod"}},
         {"trustProviders", {{"match", "any"}, {"names", {"k8s"}}}},
         {"credentialProvider", "key"},
         {"serverWorkload", "api"}}}},
  });
}

class AdminApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    config_ = testing::testHubConfig("admin-api", GetParam(), dir_);
    config_.server.maxBodyBytes = 64 * 1024;
    hub_ = startHub();
    token_ = hub_->adminTokens().create(AdminRole::kAdmin, "test")->token;
  }
  void TearDown() override {
    if (hub_) {
      hub_->stop();
    }
  }

  std::unique_ptr<Hub> startHub() { return testing::startTestHub(config_); }

  Reply call(const std::string& method, const std::string& path, const json& body = nullptr,
             std::vector<std::pair<std::string, std::string>> headers = {}, Hub* hub = nullptr) {
    net::ClientRequest request(
        method, "http://127.0.0.1:" + std::to_string((hub ? hub : hub_.get())->port()) + path);
    request.withHeader("Authorization", "Bearer " + token_);
    if (!body.is_null()) {
      request.withBody(body.dump(), "application/json");
    }
    for (auto& [name, value] : headers) {
      request.withHeader(name, value);
    }
    return send(std::move(request));
  }

  Reply send(net::ClientRequest request) {
    auto response = client_->requestBlocking(std::move(request));
    if (!response) {
      throw std::runtime_error(response.error().describe());
    }
    Reply r;
    r.status = response->status;
    r.headers = response->headers;
    r.body = response->body.empty() ? json() : json::parse(response->body, nullptr, false);
    return r;
  }

  testing::ScratchDir scratch_{"admin-api"};
  const std::filesystem::path dir_ = scratch_.path();
  HubConfig config_;
  std::unique_ptr<Hub> hub_;
  std::string token_;
  std::shared_ptr<net::HttpClient> client_ = *net::HttpClient::create();
};

TEST_P(AdminApiTest, CreatesGetsUpdatesAndDeletesWithVersions) {
  auto created = call("POST", "/v1/serverWorkloads", serverWorkload("s3", "*.s3.amazonaws.com"));
  ASSERT_EQ(created.status, 201) << created.body.dump();
  EXPECT_EQ(created.headers.get("ETag").value_or(""), "\"1\"");
  EXPECT_EQ(created.headers.get("Location").value_or(""), "/v1/serverWorkloads/s3");
  EXPECT_EQ(created.body["metadata"]["version"], 1);
  EXPECT_EQ(created.body["apiVersion"], "tessera.dev/v1");

  auto again = call("POST", "/v1/serverWorkloads", serverWorkload("s3", "*.s3.amazonaws.com"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body["error"], "already_exists");

  auto got = call("GET", "/v1/serverWorkloads/s3");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["spec"]["host"], "*.s3.amazonaws.com");

  auto changed = serverWorkload("s3", "*.s3.us-east-1.amazonaws.com");
  auto updated = call("PUT", "/v1/serverWorkloads/s3", changed, {{"If-Match", "\"1\""}});
  ASSERT_EQ(updated.status, 200) << updated.body.dump();
  EXPECT_EQ(updated.body["metadata"]["version"], 2);
  EXPECT_EQ(updated.body["metadata"]["createdAt"], created.body["metadata"]["createdAt"]);

  auto stale = call("PUT", "/v1/serverWorkloads/s3", serverWorkload("s3", "x.example.com"),
                    {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_NE(stale.body["message"].get<std::string>().find("version 2, not 1"), std::string::npos);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads/s3").body["spec"]["host"],
            "*.s3.us-east-1.amazonaws.com")
      << "a stale update changes nothing";

  EXPECT_EQ(call("PUT", "/v1/serverWorkloads/nope", serverWorkload("nope", "a.example.com")).status,
            404);
  auto mismatch = call("PUT", "/v1/serverWorkloads/s3", serverWorkload("other", "a.example.com"));
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(mismatch.body["details"][0]["pointer"], "/metadata/name");

  EXPECT_EQ(call("DELETE", "/v1/serverWorkloads/s3", nullptr, {{"If-Match", "\"1\""}}).status, 412);
  EXPECT_EQ(call("DELETE", "/v1/serverWorkloads/s3", nullptr, {{"If-Match", "\"2\""}}).status, 204);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads/s3").status, 404);
  EXPECT_EQ(call("DELETE", "/v1/serverWorkloads/s3").status, 404);
}

TEST_P(AdminApiTest, NamesEveryBadFieldByPointer) {
  json bad = serverWorkload("bad", "*");
  bad["spec"]["port"] = 70000;
  bad["spec"]["protocol"] = "ftp";
  bad["spec"]["color"] = "blue";
  bad["metadata"]["labels"] = {{"env", 3}};
  auto r = call("POST", "/v1/serverWorkloads", bad);
  ASSERT_EQ(r.status, 400) << r.body.dump();
  EXPECT_EQ(r.body["error"], "invalid_argument");
  std::set<std::string> pointers;
  for (const auto& d : r.body["details"]) {
    pointers.insert(d["pointer"].get<std::string>());
  }
  // Metadata errors stop before the spec is looked at: the envelope is checked first.
  EXPECT_EQ(pointers, (std::set<std::string>{"/metadata/labels/env"}));
  bad["metadata"]["labels"] = {{"env", "prod"}};
  r = call("POST", "/v1/serverWorkloads", bad);
  pointers.clear();
  for (const auto& d : r.body["details"]) {
    pointers.insert(d["pointer"].get<std::string>());
  }
  EXPECT_EQ(pointers,
            (std::set<std::string>{"/spec/host", "/spec/port", "/spec/protocol", "/spec/color"}));
  EXPECT_NE(r.body["message"].get<std::string>().find("/spec/host: must not be a bare '*'"),
            std::string::npos);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads/bad").status, 404);

  auto wrongKind =
      call("POST", "/v1/serverWorkloads",
           json{{"kind", "TrustProvider"}, {"metadata", {{"name", "x"}}}, {"spec", {}}});
  EXPECT_EQ(wrongKind.status, 400);
  EXPECT_EQ(wrongKind.body["details"][0]["pointer"], "/kind");
}

TEST_P(AdminApiTest, RefusesMalformedDuplicateOversizedAndMistypedBodies) {
  net::ClientRequest dup(
      "POST", "http://127.0.0.1:" + std::to_string(hub_->port()) + "/v1/serverWorkloads");
  dup.withHeader("Authorization", "Bearer " + token_);
  dup.withBody(R"({"metadata":{"name":"a","name":"b"},"spec":{}})", "application/json");
  auto r = send(std::move(dup));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "json_duplicate_member");

  net::ClientRequest text(
      "POST", "http://127.0.0.1:" + std::to_string(hub_->port()) + "/v1/serverWorkloads");
  text.withHeader("Authorization", "Bearer " + token_);
  text.withBody("kind: ServerWorkload", "text/yaml");
  EXPECT_EQ(send(std::move(text)).status, 415);

  json big = serverWorkload("big", "big.example.com");
  big["metadata"]["description"] = std::string(100 * 1024, 'x');
  EXPECT_EQ(call("POST", "/v1/serverWorkloads", big).status, 413);

  json longDescription = serverWorkload("long", "long.example.com");
  longDescription["metadata"]["description"] = std::string(2000, 'x');
  auto tooLong = call("POST", "/v1/serverWorkloads", longDescription);
  EXPECT_EQ(tooLong.status, 400);
  EXPECT_EQ(tooLong.body["details"][0]["pointer"], "/metadata/description");
}

TEST_P(AdminApiTest, ListsBySelectorWithPagination) {
  json objects = json::array();
  for (int i = 0; i < 25; ++i) {
    const std::string name = "svc-" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    objects.push_back(serverWorkload(name, name + ".example.com",
                                     {{"env", i % 2 == 0 ? "prod" : "dev"}, {"team", "a"}}));
  }
  ASSERT_EQ(call("POST", "/v1/apply", {{"objects", objects}}).status, 200);

  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    auto page = call("GET", "/v1/serverWorkloads?labelSelector=env%3Dprod&limit=5" +
                                (token.empty() ? "" : "&pageToken=" + token));
    ASSERT_EQ(page.status, 200) << page.body.dump();
    for (const auto& item : page.body["items"]) {
      EXPECT_EQ(item["metadata"]["labels"]["env"], "prod");
      names.push_back(item["metadata"]["name"].get<std::string>());
    }
    token = page.body.value("nextPageToken", "");
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(names.size(), 13u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_EQ(pages, 3);

  EXPECT_EQ(call("GET", "/v1/serverWorkloads?labelSelector=env!%3Dprod,team").body["items"].size(),
            12u);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads?labelSelector=!team").body["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads?limit=1001").status, 400);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads?pageToken=%25%25").status, 400);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads?labelSelector=Bad%20Key").status, 400);
}

TEST_P(AdminApiTest, ApplyIsAllOrNothingIdempotentAndChecksReferences) {
  auto first = call("POST", "/v1/apply", {{"objects", policyGraph()}});
  ASSERT_EQ(first.status, 200) << first.body.dump();
  for (const auto& r : first.body["results"]) {
    EXPECT_EQ(r["action"], "created") << r.dump();
  }
  const auto revision = first.body["revision"].get<std::int64_t>();

  auto second = call("POST", "/v1/apply", {{"objects", policyGraph()}});
  ASSERT_EQ(second.status, 200);
  for (const auto& r : second.body["results"]) {
    EXPECT_EQ(r["action"], "unchanged") << r.dump();
  }
  EXPECT_EQ(second.body["revision"], revision) << "an idempotent apply writes nothing";

  // One good change and one dangling reference: nothing is written.
  auto objects = policyGraph();
  objects[3]["spec"]["port"] = 8443;
  objects[4]["spec"]["serverWorkload"] = "missing";
  auto refused = call("POST", "/v1/apply", {{"objects", objects}});
  ASSERT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body["details"][0]["pointer"], "/objects/4/spec/serverWorkload");
  EXPECT_NE(refused.body["details"][0]["reason"].get<std::string>().find("'missing'"),
            std::string::npos);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads/api").body["spec"]["port"], 443);

  // Duplicates within one apply are named at the second occurrence.
  auto dup = policyGraph();
  dup.push_back(dup[0]);
  auto duplicate = call("POST", "/v1/apply", {{"objects", dup}});
  EXPECT_EQ(duplicate.status, 400);
  EXPECT_EQ(duplicate.body["details"][0]["pointer"], "/objects/5/metadata/name");

  // A dry run shows the change and writes nothing.
  objects = policyGraph();
  objects[3]["spec"]["port"] = 8443;
  auto dry = call("POST", "/v1/apply", {{"objects", objects}, {"dryRun", true}});
  ASSERT_EQ(dry.status, 200);
  EXPECT_EQ(dry.body["results"][3]["action"], "updated");
  EXPECT_EQ(dry.body["results"][3]["before"]["spec"]["port"], 443);
  EXPECT_EQ(dry.body["results"][3]["after"]["spec"]["port"], 8443);
  EXPECT_EQ(call("GET", "/v1/serverWorkloads/api").body["spec"]["port"], 443);

  EXPECT_EQ(call("POST", "/v1/apply", {{"objects", objects}, {"prune", true}}).status, 400);
}

TEST_P(AdminApiTest, RefusesToDeleteWhatIsReferencedAndNamesTheReferrers) {
  ASSERT_EQ(call("POST", "/v1/apply", {{"objects", policyGraph()}}).status, 200);
  for (const auto& [path, kind] :
       std::vector<std::pair<std::string, std::string>>{{"/v1/serverWorkloads/api", ""},
                                                        {"/v1/trustProviders/k8s", ""},
                                                        {"/v1/clientWorkloads/pod", ""},
                                                        {"/v1/credentialProviders/key", ""}}) {
    auto r = call("DELETE", path);
    EXPECT_EQ(r.status, 409) << path;
    EXPECT_NE(r.body["message"].get<std::string>().find("AccessPolicy/pod-to-api"),
              std::string::npos)
        << r.body.dump();
  }
  EXPECT_EQ(call("DELETE", "/v1/accessPolicies/pod-to-api").status, 204);
  EXPECT_EQ(call("DELETE", "/v1/serverWorkloads/api").status, 204);
}

TEST_P(AdminApiTest, NeverReturnsSecretsAndKeepsThemOnUpdate) {
  ASSERT_EQ(call("POST", "/v1/apply", {{"objects", policyGraph()}}).status, 200);
  auto got = call("GET", "/v1/credentialProviders/key");
  ASSERT_EQ(got.status, 200);
  EXPECT_FALSE(got.body["spec"].contains("value"));
  EXPECT_EQ(call("GET", "/v1/export").body.dump().find("s3cr3t-value"), std::string::npos);

  // An update without the write-only field keeps it (and the object is otherwise unchanged).
  auto update = got.body;
  update["metadata"].erase("version");
  update["metadata"]["labels"] = {{"rotated", "no"}};
  auto put = call("PUT", "/v1/credentialProviders/key", update);
  ASSERT_EQ(put.status, 200) << put.body.dump();
  EXPECT_EQ(put.body["metadata"]["version"], 2);

  auto audit = call("GET", "/v1/audit?kind=CredentialProvider");
  ASSERT_EQ(audit.status, 200);
  const auto text = audit.body.dump();
  EXPECT_EQ(text.find("s3cr3t-value"), std::string::npos) << "secrets never reach audit events";
  EXPECT_NE(text.find("(redacted)"), std::string::npos);
}

TEST_P(AdminApiTest, AuditsEveryChangeWithWhoWhatWhenBeforeAndAfter) {
  const auto tokenId = token_.substr(4, 16);
  ASSERT_EQ(call("POST", "/v1/serverWorkloads", serverWorkload("a", "a.example.com")).status, 201);
  ASSERT_EQ(call("PUT", "/v1/serverWorkloads/a", serverWorkload("a", "b.example.com")).status, 200);
  ASSERT_EQ(call("DELETE", "/v1/serverWorkloads/a").status, 204);
  auto issued = call("POST", "/v1/adminTokens", {{"role", "auditor"}, {"description", "ci"}});
  ASSERT_EQ(issued.status, 201);
  ASSERT_EQ(call("DELETE", "/v1/adminTokens/" + issued.body["id"].get<std::string>()).status, 204);

  auto all = call("GET", "/v1/audit");
  ASSERT_EQ(all.status, 200);
  const auto& items = all.body["items"];
  ASSERT_EQ(items.size(), 5u) << all.body.dump();
  // Newest first.
  EXPECT_EQ(items[0]["action"], "token.revoke");
  EXPECT_EQ(items[1]["action"], "token.create");
  EXPECT_EQ(items[1].dump().find(issued.body["token"].get<std::string>()), std::string::npos)
      << "the token itself is never audited";
  EXPECT_EQ(items[2]["action"], "delete");
  EXPECT_EQ(items[2]["before"]["spec"]["host"], "b.example.com");
  EXPECT_TRUE(items[2]["after"].is_null());
  EXPECT_EQ(items[3]["action"], "update");
  EXPECT_EQ(items[3]["before"]["spec"]["host"], "a.example.com");
  EXPECT_EQ(items[3]["after"]["spec"]["host"], "b.example.com");
  EXPECT_EQ(items[4]["action"], "create");
  for (const auto& e : items) {
    EXPECT_EQ(e["actor"], "token:" + tokenId);
    EXPECT_FALSE(e["at"].get<std::string>().empty());
  }

  EXPECT_EQ(call("GET", "/v1/audit?kind=ServerWorkload").body["items"].size(), 3u);
  EXPECT_EQ(call("GET", "/v1/audit?kind=AdminToken").body["items"].size(), 2u);
  EXPECT_EQ(call("GET", "/v1/audit?until=2000-01-01T00:00:00Z").body["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/v1/audit?since=2000-01-01T00:00:00Z").body["items"].size(), 5u);
  auto page = call("GET", "/v1/audit?limit=2");
  EXPECT_EQ(page.body["items"].size(), 2u);
  auto next =
      call("GET", "/v1/audit?limit=10&pageToken=" + page.body["nextPageToken"].get<std::string>());
  EXPECT_EQ(next.body["items"].size(), 3u);
  EXPECT_EQ(call("GET", "/v1/audit?since=yesterday").status, 400);
  EXPECT_EQ(call("GET", "/v1/audit?kind=Nope").status, 400);
}

TEST_P(AdminApiTest, ReplicasSeeEachOthersChangesWithinOneSecond) {
  auto other = startHub();
  ASSERT_EQ(call("POST", "/v1/serverWorkloads", serverWorkload("a", "a.example.com")).status, 201);
  const auto changedAt = std::chrono::steady_clock::now();
  int status = 0;
  while (std::chrono::steady_clock::now() - changedAt < 1s) {
    // Read the snapshot directly, not through the API (which refreshes on every request).
    if (other->configService().snapshot()->find(model::Kind::kServerWorkload, "a") != nullptr) {
      status = 200;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200) << "replica B did not load A's change within one second";

  // Writes through both replicas interleave without losing either.
  std::thread writer([&] {
    for (int i = 0; i < 10; ++i) {
      call("POST", "/v1/serverWorkloads", serverWorkload("b" + std::to_string(i), "b.example.com"),
           {}, other.get());
    }
  });
  for (int i = 0; i < 10; ++i) {
    call("POST", "/v1/serverWorkloads", serverWorkload("c" + std::to_string(i), "c.example.com"));
  }
  writer.join();
  EXPECT_EQ(call("GET", "/v1/serverWorkloads").body["items"].size(), 21u);
  EXPECT_EQ(call("GET", "/v1/audit?kind=ServerWorkload&limit=100").body["items"].size(), 21u);
  other->stop();
}

INSTANTIATE_TEST_SUITE_P(Stores, AdminApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& store) { return store.param; });

}  // namespace
}  // namespace tessera::hub
