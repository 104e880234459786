#include "net/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tessera::net {
namespace {

Response named(std::string name) {
  return textResponse(200, std::move(name));
}

TEST(Router, ExactAndParamRoutes) {
  Router r;
  r.get("/healthz", [](Request&) { return named("health"); });
  r.get("/v1/clientWorkloads/{name}", [](Request&) { return named("one"); });
  r.post("/v1/clientWorkloads", [](Request&) { return named("create"); });

  auto health = r.find("GET", "/healthz");
  EXPECT_EQ(health.kind, Router::Lookup::Kind::kFound);
  EXPECT_TRUE(health.params.empty());

  auto one = r.find("GET", "/v1/clientWorkloads/ci%20runner");
  ASSERT_EQ(one.kind, Router::Lookup::Kind::kFound);
  EXPECT_EQ(one.params.at("name"), "ci runner");
  EXPECT_EQ(one.route->method, "GET");

  EXPECT_EQ(r.find("GET", "/v1/clientWorkloads/").kind, Router::Lookup::Kind::kNotFound);
  EXPECT_EQ(r.find("GET", "/v1/clientWorkloads/a/b").kind, Router::Lookup::Kind::kNotFound);
  EXPECT_EQ(r.find("GET", "/healthz/").kind, Router::Lookup::Kind::kNotFound);
  EXPECT_EQ(r.find("GET", "/nope").kind, Router::Lookup::Kind::kNotFound);
  EXPECT_EQ(r.find("GET", "/v1/clientWorkloads/%zz").kind, Router::Lookup::Kind::kBadPath);
}

TEST(Router, LiteralSegmentsWinOverParameters) {
  Router r;
  r.get("/v1/{kind}/{name}", [](Request&) { return named("params"); });
  r.get("/v1/things/special", [](Request&) { return named("literal"); });
  r.get("/v1/{kind}/special2", [](Request&) { return named("mixed"); });
  auto lit = r.find("GET", "/v1/things/special");
  ASSERT_EQ(lit.kind, Router::Lookup::Kind::kFound);
  EXPECT_TRUE(lit.params.empty());
  auto mixed = r.find("GET", "/v1/x/special2");
  ASSERT_EQ(mixed.kind, Router::Lookup::Kind::kFound);
  EXPECT_EQ(mixed.params.size(), 1u);
  EXPECT_EQ(mixed.params.at("kind"), "x");
  auto params = r.find("GET", "/v1/things/other");
  ASSERT_EQ(params.kind, Router::Lookup::Kind::kFound);
  EXPECT_EQ(params.params.at("name"), "other");
}

TEST(Router, FallsBackToAParameterRouteWithTheMethod) {
  Router r;
  r.get("/a/{x}", [](Request&) { return named("get"); });
  r.post("/a/b", [](Request&) { return named("post"); });
  auto get = r.find("GET", "/a/b");
  ASSERT_EQ(get.kind, Router::Lookup::Kind::kFound);
  EXPECT_EQ(get.params.at("x"), "b");
}

TEST(Router, MethodNotAllowedListsAllow) {
  Router r;
  r.get("/v1/things", [](Request&) { return named("list"); });
  r.post("/v1/things", [](Request&) { return named("create"); });
  auto res = r.find("DELETE", "/v1/things");
  EXPECT_EQ(res.kind, Router::Lookup::Kind::kMethodNotAllowed);
  EXPECT_EQ(res.allow, "GET, HEAD, POST");
}

TEST(Router, HeadFallsBackToGet) {
  Router r;
  r.get("/x", [](Request&) { return named("get"); });
  auto head = r.find("HEAD", "/x");
  ASSERT_EQ(head.kind, Router::Lookup::Kind::kFound);
  EXPECT_EQ(head.route->method, "GET");
}

TEST(Router, RejectsBadPatternsAndDuplicates) {
  Router r;
  auto h = [](Request&) { return named(""); };
  EXPECT_THROW(r.get("nope", h), std::invalid_argument);
  EXPECT_THROW(r.get("/a/{}", h), std::invalid_argument);
  EXPECT_THROW(r.get("/a/{x}/{x}", h), std::invalid_argument);
  EXPECT_THROW(r.get("/a/b{x}", h), std::invalid_argument);
  EXPECT_THROW(r.add("get", "/a", h), std::invalid_argument);
  r.get("/a/{x}", h);
  EXPECT_THROW(r.get("/a/{x}", h), std::invalid_argument);
  EXPECT_THROW(r.post("/a/{y}", h), std::invalid_argument);
}

TEST(Router, LargestBodyLimit) {
  Router r;
  auto h = [](Request&) { return named(""); };
  r.post("/small", h, RouteOptions{.maxBodyBytes = 10});
  EXPECT_EQ(r.largestBodyLimit(100), 100u);
  r.post("/big", h, RouteOptions{.maxBodyBytes = 1000});
  EXPECT_EQ(r.largestBodyLimit(100), 1000u);
}

}  // namespace
}  // namespace tessera::net
