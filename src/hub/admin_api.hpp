// The admin API: /v1/{clientWorkloads,...} CRUD, /v1/apply, /v1/export, /v1/audit and
// /v1/adminTokens, each route authorised by one Permission (permissions.hpp) from the caller's
// admin bearer token. Bodies are strict JSON (duplicate members refused), size-limited, and every
// rejected field is named by JSON pointer. Added to the hub's router by Hub.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "hub/admin_tokens.hpp"
#include "hub/config_service.hpp"
#include "hub/permissions.hpp"
#include "net/router.hpp"

namespace tessera::hub {

// One admin API route as registered: what the OpenAPI document and the route-by-role test walk.
struct AdminRoute {
  std::string method;
  std::string pattern;
  Permission permission;
};

struct AdminApiOptions {
  std::size_t maxBodyBytes = 1 << 20;    // one object
  std::size_t maxApplyBytes = 64 << 20;  // /v1/apply
  std::size_t maxApplyObjects = 20000;
};

// Nesting depth allowed in request bodies.
inline constexpr std::size_t kMaxJsonDepth = 48;

// The JSON body of `request`: Content-Type must be JSON, duplicate members are refused, size
// and depth are limited.
Result<nlohmann::json> strictJsonBody(const net::Request& request, std::size_t maxBytes);
// Whether the request's Content-Type is application/json (parameters aside), as strictJsonBody
// requires.
bool hasJsonContentType(const net::Request& request);

// The `limit` query parameter of a list route: 1..1000, default 100 (kInvalidArgument naming
// ?limit otherwise).
Result<int> parseLimit(const net::Request& request);
// kInvalidArgument naming the query parameter ("?name") and why it was refused.
Error badQuery(std::string name, std::string reason);

// A route handler that may wait (access decisions fetch keys, replay requests).
using AsyncAdminHandler =
    std::function<boost::asio::awaitable<net::Response>(net::Request&, AdminPrincipal)>;

class AdminApi {
 public:
  AdminApi(ConfigService& config, AdminTokens& tokens, const Clock& clock, AdminApiOptions options)
      : config_(config), tokens_(tokens), clock_(clock), options_(options) {}

  // Adds every admin route to `router`.
  void addRoutes(net::Router& router);
  // Adds a route of another API (access) with the same authentication and role check, listed in
  // routes() for the OpenAPI document and the role tests. `blocking`: the handler waits on the
  // store, so the server runs it on its blocking pool (RouteOptions::blocking).
  void addAsync(net::Router& router, std::string method, std::string pattern, Permission permission,
                AsyncAdminHandler handler, std::size_t maxBody, bool blocking = false);
  const std::vector<AdminRoute>& routes() const { return routes_; }

 private:
  template <typename H>
  void add(net::Router& router, std::string method, std::string pattern, Permission permission,
           H handler, std::size_t maxBody);
  Result<AdminPrincipal> authorize(const net::Request& request, Permission permission) const;

  ConfigService& config_;
  AdminTokens& tokens_;
  const Clock& clock_;
  AdminApiOptions options_;
  std::vector<AdminRoute> routes_;
};

}  // namespace tessera::hub
