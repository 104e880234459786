// What each admin role may do. Every admin API route names one permission; this table is the
// only place that says which roles hold it.
#pragma once

#include <string_view>

#include "hub/admin_tokens.hpp"

namespace tessera::hub {

enum class Permission {
  kConfigRead,     // list, get, export
  kConfigWrite,    // create, update, delete, apply
  kAuditRead,      // admin audit events
  kTokenManage,    // admin tokens
  kAccess,         // the access API (edges)
  kAccessExplain,  // explain a decision without side effects (operators)
};

std::string_view permissionName(Permission permission) noexcept;

constexpr bool roleAllows(AdminRole role, Permission permission) noexcept {
  switch (role) {
    case AdminRole::kAdmin:
      return permission != Permission::kAccess;
    case AdminRole::kEditor:
      return permission == Permission::kConfigRead || permission == Permission::kConfigWrite ||
             permission == Permission::kAccessExplain;
    case AdminRole::kAuditor:
      return permission == Permission::kConfigRead || permission == Permission::kAuditRead ||
             permission == Permission::kAccessExplain;
    case AdminRole::kEdge:
      return permission == Permission::kAccess;
  }
  return false;
}

}  // namespace tessera::hub
