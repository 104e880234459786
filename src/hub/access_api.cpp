#include "hub/access_api.hpp"

namespace tessera::hub {

namespace {
boost::asio::awaitable<net::Response> handleAccess(AccessService& access, net::Request& request,
                                                   AdminPrincipal principal, bool explain) {
  auto body = strictJsonBody(request, kMaxAccessRequestBytes);
  if (!body) {
    co_return net::errorResponse(body.error());
  }
  auto parsed = parseAccessRequest(*body);
  if (!parsed) {
    co_return net::errorResponse(parsed.error());
  }
  auto outcome = co_await access.decide(std::move(*parsed), "token:" + principal.tokenId, !explain);
  co_return net::jsonResponse(200, decisionJson(outcome, explain));
}
}  // namespace

void addAccessRoutes(AdminApi& api, net::Router& router, AccessService& access) {
  api.addAsync(
      router, "POST", "/v1/access", Permission::kAccess,
      [&access](net::Request& request, AdminPrincipal principal) {
        return handleAccess(access, request, std::move(principal), false);
      },
      kMaxAccessRequestBytes);
  api.addAsync(
      router, "POST", "/v1/access/explain", Permission::kAccessExplain,
      [&access](net::Request& request, AdminPrincipal principal) {
        return handleAccess(access, request, std::move(principal), true);
      },
      kMaxAccessRequestBytes);
}

}  // namespace tessera::hub
