// Router: maps a method and a path to a handler. Patterns are exact ("/healthz") or have named
// segments ("/v1/clientWorkloads/{name}"). The hub and the edge build one Router at start-up and
// hand it to HttpServer, which asks it for every request (404, 405 + Allow, HEAD served by GET).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.hpp"

namespace tessera::net {

// A handler is a coroutine; it runs on the connection's worker thread (see HttpServer) and may
// co_await I/O, but must not block: a blocking handler stalls every connection of its worker.
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;
// A handler that computes its response without waiting for anything.
using SyncHandler = std::function<Response(Request&)>;

struct RouteOptions {
  // Overrides HttpServerOptions::maxBodyBytes for this route (larger or smaller).
  std::optional<std::size_t> maxBodyBytes{};
  // The handler blocks (store I/O, long computations): the server runs it on its blocking pool
  // and resumes the connection on its worker afterwards.
  bool blocking = false;
};

class Router {
 public:
  struct Route {
    std::string method{};
    std::string pattern{};  // as registered, e.g. "/v1/clientWorkloads/{name}"
    Handler handler{};
    RouteOptions options{};
  };

  // The outcome of a lookup: a route (with its decoded path parameters), or the reason none fits.
  struct Lookup {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed, kBadPath };
    Kind kind = Kind::kNotFound;
    const Route* route = nullptr;
    PathParams params{};
    std::string allow{};  // for kMethodNotAllowed: "GET, HEAD, POST"
  };

  // Registers a route. Throws std::invalid_argument for a malformed pattern or a duplicate
  // (method, pattern): those are start-up programming errors. Methods are upper-case tokens.
  Router& add(std::string_view method, std::string_view pattern, Handler handler,
              RouteOptions options = {});
  Router& add(std::string_view method, std::string_view pattern, SyncHandler handler,
              RouteOptions options = {});

  template <typename H>
  Router& get(std::string_view pattern, H&& h, RouteOptions o = {}) {
    return add("GET", pattern, std::forward<H>(h), o);
  }
  template <typename H>
  Router& post(std::string_view pattern, H&& h, RouteOptions o = {}) {
    return add("POST", pattern, std::forward<H>(h), o);
  }
  template <typename H>
  Router& put(std::string_view pattern, H&& h, RouteOptions o = {}) {
    return add("PUT", pattern, std::forward<H>(h), o);
  }
  template <typename H>
  Router& patch(std::string_view pattern, H&& h, RouteOptions o = {}) {
    return add("PATCH", pattern, std::forward<H>(h), o);
  }
  template <typename H>
  Router& del(std::string_view pattern, H&& h, RouteOptions o = {}) {
    return add("DELETE", pattern, std::forward<H>(h), o);
  }

  // Finds the route for `method` and the raw `path` (no query). Literal segments win over
  // parameters; HEAD falls back to GET. Thread-safe once no more routes are added.
  Lookup find(std::string_view method, std::string_view path) const;

  // Whether any route is marked blocking (the server then starts its blocking pool).
  bool hasBlockingRoutes() const;

  // The largest body any route accepts, given the server default.
  std::size_t largestBodyLimit(std::size_t serverDefault) const;

 private:
  struct Segment {
    std::string text{};  // literal text, or the parameter name
    bool param = false;
  };
  struct PathEntry {
    std::string pattern{};
    std::vector<Segment> segments{};
    std::vector<Route> routes{};
  };

  std::vector<PathEntry> entries_;  // ordered most specific first
};

}  // namespace tessera::net
