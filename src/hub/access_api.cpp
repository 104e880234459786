#include "hub/access_api.hpp"

#include "common/time_format.hpp"

namespace tessera::hub {

namespace {
// The common body without a DOM; anything else (and every error) the general way.
Result<AccessRequest> accessRequestOf(const net::Request& request) {
  if (hasJsonContentType(request)) {
    if (auto scanned = scanCommonAccessRequest(request.body, kMaxAccessRequestBytes)) {
      return std::move(*scanned);
    }
  }
  auto body = strictJsonBody(request, kMaxAccessRequestBytes);
  if (!body) {
    return std::move(body).error();
  }
  return parseAccessRequest(*body);
}

boost::asio::awaitable<net::Response> handleAccess(AccessService& access, net::Request& request,
                                                   AdminPrincipal principal, bool explain) {
  auto parsed = accessRequestOf(request);
  if (!parsed) {
    co_return net::errorResponse(parsed.error());
  }
  auto outcome = co_await access.decide(std::move(*parsed), "token:" + principal.tokenId, !explain);
  // Built in a local rather than in the co_return expression: GCC 12 at -O2 then reports a
  // false -Wmismatched-new-delete on the coroutine frame (it broke the release build).
  net::Response response =
      net::textResponse(200, accessAnswerJson(outcome, explain), "application/json");
  co_return response;
}

Result<store::AccessEventQuery> eventQuery(const net::Request& request) {
  store::AccessEventQuery query;
  for (const char* name : {"since", "until"}) {
    if (const auto text = request.query(name)) {
      auto t = parseRfc3339(*text);
      if (!t) {
        return badQuery(name, "must be an RFC 3339 time like 2026-01-31T12:00:00Z");
      }
      (std::string_view(name) == "since" ? query.since : query.until) = *t;
    }
  }
  if (const auto outcome = request.query("outcome")) {
    if (*outcome != "authorized" && *outcome != "unauthorized" && *outcome != "error") {
      return badQuery("outcome", "must be authorized, unauthorized or error");
    }
    query.outcome = std::string(*outcome);
  }
  for (auto [name, field] :
       {std::pair{"policy", &query.policy}, std::pair{"clientWorkload", &query.clientWorkload},
        std::pair{"serverWorkload", &query.serverWorkload}}) {
    if (const auto value = request.query(name)) {
      if (value->empty() || value->size() > 253) {
        return badQuery(name, "must be an object name");
      }
      *field = std::string(*value);
    }
  }
  TESSERA_ASSIGN_OR_RETURN(query.limit, parseLimit(request));
  if (const auto token = request.query("pageToken")) {
    query.pageToken = std::string(*token);
  }
  return query;
}

nlohmann::json eventDocument(const store::AccessEventRecord& record) {
  auto document = nlohmann::json::parse(record.document, nullptr, false);
  return document.is_discarded() ? nlohmann::json(nullptr) : document;
}

boost::asio::awaitable<net::Response> listEvents(store::AccessEventRepository& events,
                                                 net::Request& request) {
  auto query = eventQuery(request);
  if (!query) {
    co_return net::errorResponse(query.error());
  }
  auto page = events.query(*query);
  if (!page) {
    if (page.error().code == ErrorCode::kInvalidArgument) {
      co_return net::errorResponse(badQuery("pageToken", "is not a token this API returned"));
    }
    co_return net::errorResponse(page.error());
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& record : page->records) {
    items.push_back(eventDocument(record));
  }
  nlohmann::json body = {{"items", std::move(items)}};
  if (!page->nextPageToken.empty()) {
    body["nextPageToken"] = page->nextPageToken;
  }
  co_return net::jsonResponse(200, body);
}

boost::asio::awaitable<net::Response> getEvent(store::AccessEventRepository& events,
                                               net::Request& request) {
  auto record = events.get(request.pathParams.at("id"));
  if (!record) {
    co_return net::errorResponse(record.error());
  }
  co_return net::jsonResponse(200, eventDocument(*record));
}
// What an edge needs to steer traffic: every server workload's target, TLS and authentication
// method. No secrets live in these specs (credentials are in credential providers).
net::Response edgeRoutes(const ConfigService& config) {
  const auto snapshot = config.snapshot();
  nlohmann::json workloads = nlohmann::json::array();
  for (const auto* object : snapshot->list(model::Kind::kServerWorkload)) {
    nlohmann::json item = {{"name", object->metadata.name}};
    for (const char* field : {"host", "port", "protocol", "tls", "authentication"}) {
      if (const auto it = object->spec.find(field); it != object->spec.end()) {
        item[field] = *it;
      }
    }
    workloads.push_back(std::move(item));
  }
  return net::jsonResponse(
      200, {{"revision", snapshot->revision()}, {"serverWorkloads", std::move(workloads)}});
}
}  // namespace

void addAccessRoutes(AdminApi& api, net::Router& router, AccessService& access,
                     std::shared_ptr<store::AccessEventRepository> events) {
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
  api.addAsync(
      router, "GET", "/v1/edge/routes", Permission::kAccess,
      [&access](net::Request&, AdminPrincipal) -> boost::asio::awaitable<net::Response> {
        co_return edgeRoutes(access.config());
      },
      0);
  api.addAsync(
      router, "GET", "/v1/events", Permission::kAuditRead,
      [events](net::Request& request, AdminPrincipal) { return listEvents(*events, request); }, 0,
      /*blocking=*/true);
  api.addAsync(
      router, "GET", "/v1/events/{id}", Permission::kAuditRead,
      [events](net::Request& request, AdminPrincipal) { return getEvent(*events, request); }, 0,
      /*blocking=*/true);
}

}  // namespace tessera::hub
