// The OpenAPI 3.0.3 document of the admin API, generated from AdminApi's route table (so a route
// cannot be added without the document knowing) and the spec registry's JSON Schemas. The hub
// serves it at GET /v1/openapi.json (public); `tessera openapi` prints it (docs/openapi.json);
// tests/unit/hub/openapi_test.cpp checks that every route is documented.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "hub/admin_api.hpp"
#include "model/spec_registry.hpp"

namespace tessera::hub {

inline constexpr std::string_view kOpenApiPath = "/v1/openapi.json";

// The document for `routes` (AdminApi::routes()). A route openapi.cpp has no documentation for
// still appears, with its permission, security and 401/403, but without an operationId or summary:
// openApiCoverage() names it.
nlohmann::json buildOpenApiDocument(const std::vector<AdminRoute>& routes,
                                    const model::SpecRegistry& registry);

// "METHOD pattern" of routes without documentation, and of documentation for no route.
struct OpenApiCoverage {
  std::vector<std::string> undocumented;
  std::vector<std::string> stale;
};
OpenApiCoverage openApiCoverage(const std::vector<AdminRoute>& routes);

// The admin routes exactly as AdminApi registers them, without a store or a server (nothing is
// served or called): what `tessera openapi` documents.
std::vector<AdminRoute> adminRoutesWithoutHub();

// Adds GET /v1/openapi.json (public, no token) serving `document`.
void addOpenApiRoute(net::Router& router, nlohmann::json document);

}  // namespace tessera::hub
