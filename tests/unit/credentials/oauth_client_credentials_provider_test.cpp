// The oauth-client-credentials provider against a scripted token endpoint on 127.0.0.1: what it
// sends for each client authentication, retries only where the server says they help, the
// server's error code in the reason, and discovery of the endpoint from the issuer.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <mutex>
#include <set>

#include "credentials/credential_provider.hpp"
#include "jose/jwt.hpp"
#include "net/http_server.hpp"
#include "wire_test_support.hpp"

namespace tessera::credentials {
namespace {

using nlohmann::json;
using test::field;
const SystemTime kNow = SystemTime(std::chrono::seconds(1'796'061'600));

// A token endpoint answering from a script (then 200 with a token), recording what it was sent.
class TokenEndpoint {
 public:
  struct Seen {
    std::string authorization;
    net::QueryParams form;
  };
  struct State {
    std::mutex mutex;
    std::deque<std::pair<int, std::string>> script;
    std::vector<Seen> requests;
    int discoveryHits = 0;
    std::string discoveryIssuer;  // "" = the server's own base URL
    std::uint16_t port = 0;
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
  };

  TokenEndpoint() : state_(std::make_shared<State>()) {
    net::Router router;
    auto st = state_;
    router.post("/token", [st](net::Request& r) {
      const std::lock_guard lock(st->mutex);
      st->requests.push_back({std::string(r.header("Authorization").value_or("")),
                              net::parseQuery(r.body).value_or(net::QueryParams{})});
      if (!st->script.empty()) {
        auto [status, body] = st->script.front();
        st->script.pop_front();
        return net::textResponse(status, body, "application/json");
      }
      return net::jsonResponse(200, {{"access_token", "at-" + std::to_string(st->requests.size())},
                                     {"token_type", "Bearer"},
                                     {"expires_in", 600},
                                     {"scope", "read"}});
    });
    router.get("/.well-known/openid-configuration", [st](net::Request&) {
      const std::lock_guard lock(st->mutex);
      ++st->discoveryHits;
      return net::jsonResponse(
          200, {{"issuer", st->discoveryIssuer.empty() ? st->base() : st->discoveryIssuer},
                {"token_endpoint", st->base() + "/token"}});
    });
    net::HttpServerOptions options;
    options.bind = "127.0.0.1:0";
    options.threads = 1;
    server_ = std::make_unique<net::HttpServer>(std::move(router), std::move(options));
    auto started = server_->start();
    EXPECT_TRUE(started.ok()) << started.error().describe();
    state_->port = server_->port();
  }
  ~TokenEndpoint() { server_->stop(std::chrono::seconds(1)); }

  State& state() { return *state_; }
  std::string base() const { return state_->base(); }

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<net::HttpServer> server_;
};

class OAuthProvider : public ::testing::Test {
 protected:
  void SetUp() override {
    auto services = std::make_shared<CredentialServices>();
    services->issuer = "https://hub.example.test";
    services->sign = [this](std::string_view alg, const json& claims) -> Result<std::string> {
      EXPECT_EQ(alg, "RS256");
      return jose::signJwt(rsa_, jose::Algorithm::kRs256, claims);
    };
    auto http = net::HttpClient::create();
    ASSERT_TRUE(http.ok());
    services->http = std::move(*http);
    services_ = std::move(services);
  }

  Result<Credential> issue(json spec) {
    model::ConfigObject o;
    o.kind = model::Kind::kCredentialProvider;
    o.metadata.name = "as";
    o.spec = std::move(spec);
    auto provider = compileCredentialProvider(o, services_);
    if (!provider) {
      return provider.error();
    }
    return run(**provider);
  }

  // On the fixture's io_context: the HTTP client pools connections made on it, so it must
  // outlive them (services_ is declared after it, and so destroyed first).
  Result<Credential> run(const CredentialProvider& provider) {
    std::optional<Result<Credential>> out;
    GrantRequest request;
    request.now = kNow;
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> { out.emplace(co_await provider.issue(request)); },
        boost::asio::detached);
    io_.restart();
    io_.run();
    return std::move(*out);
  }

  json spec(const std::string& clientAuth) const {
    json s = {{"type", "oauth-client-credentials"},
              {"tokenEndpoint", as_.base() + "/token"},
              {"clientId", "tessera"},
              {"clientAuth", clientAuth},
              {"scopes", {"read", "write"}},
              {"resource", "https://api.example.test"}};
    if (clientAuth != "private_key_jwt") {
      s["clientSecret"] = "s3cret:x";
    }
    return s;
  }

  std::vector<TokenEndpoint::Seen> seen() {
    const std::lock_guard lock(as_.state().mutex);
    return as_.state().requests;
  }

  boost::asio::io_context io_;
  jose::Jwk rsa_ = *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "r1"});
  std::shared_ptr<const CredentialServices> services_;
  TokenEndpoint as_;
};

TEST_F(OAuthProvider, ClientSecretBasicGetsAnOAuthCredential) {
  auto c = issue(spec("client_secret_basic"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->type, "oauth");
  EXPECT_EQ(c->fields, (std::map<std::string, std::string>{
                           {"accessToken", "at-1"}, {"tokenType", "Bearer"}, {"scope", "read"}}));
  EXPECT_EQ(c->expiresAt, kNow + std::chrono::seconds(600));
  const auto requests = seen();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].authorization, "Basic dGVzc2VyYTpzM2NyZXQlM0F4");  // tessera:s3cret%3Ax
  EXPECT_EQ(field(requests[0].form, "grant_type"), "client_credentials");
  EXPECT_EQ(field(requests[0].form, "scope"), "read write");
  EXPECT_EQ(field(requests[0].form, "resource"), "https://api.example.test");
  EXPECT_EQ(field(requests[0].form, "client_secret"), std::nullopt);
}

TEST_F(OAuthProvider, PrivateKeyJwtSendsAFreshHubSignedAssertionPerAttempt) {
  as_.state().script = {{503, R"({"error":"temporarily_unavailable"})"}};
  auto c = issue(spec("private_key_jwt"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->fields.at("accessToken"), "at-2");
  const auto requests = seen();
  ASSERT_EQ(requests.size(), 2u) << "temporarily_unavailable is retried";
  std::set<std::string> jtis;
  for (const auto& r : requests) {
    EXPECT_EQ(r.authorization, "");
    EXPECT_EQ(field(r.form, "client_assertion_type"),
              "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    jose::JwtValidationOptions options;
    options.issuer = "tessera";
    options.audiences = {as_.base() + "/token"};
    auto verified = jose::verifyJwt(field(r.form, "client_assertion").value_or(""),
                                    jose::Jwks(std::vector<jose::Jwk>{rsa_.publicOnly()}), options,
                                    kNow + std::chrono::seconds(1));
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(verified->claims.get()["sub"], "tessera");
    EXPECT_LE(verified->claims.get()["exp"].get<std::int64_t>() -
                  verified->claims.get()["iat"].get<std::int64_t>(),
              300);
    jtis.insert(verified->claims.get()["jti"].get<std::string>());
  }
  EXPECT_EQ(jtis.size(), 2u);
}

TEST_F(OAuthProvider, InvalidClientIsNotRetriedAndNamedInTheReason) {
  as_.state().script = {
      {401, R"({"error":"invalid_client","error_description":"client authentication failed"})"}};
  auto c = issue(spec("client_secret_post"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(c.error().message.find("invalid_client"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("client_secret_post"), std::string::npos);
  EXPECT_EQ(c.error().message.find("s3cret"), std::string::npos) << "never the secret";
  EXPECT_EQ(seen().size(), 1u);
}

TEST_F(OAuthProvider, RetriesStopAfterThreeAttempts) {
  as_.state().script = {{500, "{}"}, {429, "{}"}, {503, "{}"}, {503, "{}"}};
  auto c = issue(spec("client_secret_basic"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable) << c.error().message;
  EXPECT_EQ(seen().size(), 3u);
}

TEST_F(OAuthProvider, TheTokenEndpointIsDiscoveredOnceFromTheIssuer) {
  json s = spec("client_secret_basic");
  s.erase("tokenEndpoint");
  s["issuer"] = as_.base();
  model::ConfigObject o;
  o.kind = model::Kind::kCredentialProvider;
  o.metadata.name = "as";
  o.spec = s;
  auto provider = compileCredentialProvider(o, services_);
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  ASSERT_TRUE(run(**provider).ok());
  ASSERT_TRUE(run(**provider).ok());
  EXPECT_EQ(as_.state().discoveryHits, 1);
  EXPECT_EQ(seen().size(), 2u);

  as_.state().discoveryIssuer = "https://impostor.example";
  auto mismatch = issue(s);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(mismatch.error().message.find("impostor"), std::string::npos)
      << mismatch.error().message;
  EXPECT_EQ(seen().size(), 2u) << "no token request to an endpoint of another issuer";
}

}  // namespace
}  // namespace tessera::credentials
