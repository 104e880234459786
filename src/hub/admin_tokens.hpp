// Admin API tokens: created by `tessera admin token create --role ROLE` (and once by `tessera
// dev`), shown once, stored as a SHA-256 of their secret, revocable. The admin API authenticates
// bearer tokens here and authorises by role.
//
// Every request authenticates, so tokens found valid are remembered for a second
// (kAuthenticationCacheTtl) instead of reading the store each time: a token revoked through this
// object stops working at once; one revoked elsewhere (another replica, the CLI on the store)
// within that second.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "store/admin_token_repository.hpp"

namespace tessera::hub {

// admin: everything; editor: configuration, not tokens; auditor: read and events; edge: only
// the access API.
enum class AdminRole { kAdmin, kEditor, kAuditor, kEdge };

std::string_view adminRoleName(AdminRole role) noexcept;
std::optional<AdminRole> adminRoleFromName(std::string_view name) noexcept;

struct IssuedAdminToken {
  std::string token;  // "tsa_<id>_<secret>": shown once, never stored
  store::AdminTokenRecord record;
};

struct AdminPrincipal {
  std::string tokenId;
  AdminRole role = AdminRole::kAuditor;
};

class AdminTokens {
 public:
  static constexpr std::chrono::milliseconds kAuthenticationCacheTtl{1000};
  static constexpr std::size_t kAuthenticationCacheEntries = 4096;

  AdminTokens(std::shared_ptr<store::AdminTokenRepository> repository, const Clock& clock)
      : repository_(std::move(repository)), clock_(clock) {}

  Result<IssuedAdminToken> create(AdminRole role, std::string description);
  // kUnauthenticated for anything but a known, unrevoked token whose secret matches; the
  // message never contains the token.
  Result<AdminPrincipal> authenticate(std::string_view token) const;
  Result<void> revoke(const std::string& id);
  Result<std::vector<store::AdminTokenRecord>> list() const;

 private:
  struct Remembered {
    std::string secretHash;
    AdminRole role = AdminRole::kAuditor;
    std::chrono::steady_clock::time_point until;
  };

  std::shared_ptr<store::AdminTokenRepository> repository_;
  const Clock& clock_;
  mutable std::mutex rememberedMutex_;
  mutable std::unordered_map<std::string, Remembered> remembered_;  // by token id
};

}  // namespace tessera::hub
