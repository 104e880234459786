#include "hub/permissions.hpp"

namespace tessera::hub {

std::string_view permissionName(Permission permission) noexcept {
  switch (permission) {
    case Permission::kConfigRead:
      return "read configuration";
    case Permission::kConfigWrite:
      return "change configuration";
    case Permission::kAuditRead:
      return "read audit events";
    case Permission::kTokenManage:
      return "manage admin tokens";
    case Permission::kAccess:
      return "use the access API";
    case Permission::kAccessExplain:
      return "explain access decisions";
  }
  return "do this";
}

}  // namespace tessera::hub
