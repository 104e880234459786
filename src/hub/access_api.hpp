// The access API: POST /v1/access (role edge) decides and records an access event; POST
// /v1/access/explain (admin, editor, auditor) runs the same evaluation without side effects and
// answers with the full trace. Both answer 200 with the decision for every outcome (authorized,
// unauthorized, error); 4xx only for a request that cannot be evaluated. GET /v1/events and
// /v1/events/{id} (admin, auditor) read the access events back. Added by Hub.
#pragma once

#include "hub/access_service.hpp"
#include "hub/admin_api.hpp"

namespace tessera::hub {

inline constexpr std::size_t kMaxAccessRequestBytes = 256 * 1024;

void addAccessRoutes(AdminApi& api, net::Router& router, AccessService& access,
                     std::shared_ptr<store::AccessEventRepository> events);

}  // namespace tessera::hub
