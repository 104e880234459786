#include "hub/admin_tokens.hpp"

#include "crypto/digest.hpp"
#include "crypto/random.hpp"

namespace tessera::hub {

namespace {
constexpr std::string_view kPrefix = "tsa_";  // lets secret scanners recognise leaked tokens
constexpr std::size_t kIdHexLength = 16;
constexpr std::size_t kSecretLength = 43;  // 32 random bytes, base64url
constexpr std::size_t kMaxDescription = 256;

std::string secretHash(std::string_view secret) {
  const auto digest = crypto::sha256(secret);
  return crypto::toHex(digest);
}

Error invalidToken() {
  return Error{ErrorCode::kUnauthenticated, "admin token is not valid"};
}
}  // namespace

std::string_view adminRoleName(AdminRole role) noexcept {
  switch (role) {
    case AdminRole::kAdmin:
      return "admin";
    case AdminRole::kEditor:
      return "editor";
    case AdminRole::kAuditor:
      return "auditor";
    case AdminRole::kEdge:
      return "edge";
  }
  return "unknown";
}

std::optional<AdminRole> adminRoleFromName(std::string_view name) noexcept {
  for (auto role : {AdminRole::kAdmin, AdminRole::kEditor, AdminRole::kAuditor, AdminRole::kEdge}) {
    if (adminRoleName(role) == name) {
      return role;
    }
  }
  return std::nullopt;
}

Result<IssuedAdminToken> AdminTokens::create(AdminRole role, std::string description) {
  if (description.size() > kMaxDescription) {
    return fail(ErrorCode::kInvalidArgument, "description is longer than 256 characters");
  }
  const std::string secret = crypto::randomToken(32);
  IssuedAdminToken issued;
  issued.record.id = crypto::toHex(crypto::randomBytes(kIdHexLength / 2));
  issued.record.secretHash = secretHash(secret);
  issued.record.role = std::string(adminRoleName(role));
  issued.record.description = std::move(description);
  issued.record.createdAt = toUnixSeconds(clock_.now());
  TESSERA_RETURN_IF_ERROR(repository_->insert(issued.record));
  issued.token = std::string(kPrefix) + issued.record.id + "_" + secret;
  return issued;
}

Result<AdminPrincipal> AdminTokens::authenticate(std::string_view token) const {
  if (token.size() != kPrefix.size() + kIdHexLength + 1 + kSecretLength ||
      !token.starts_with(kPrefix) || token[kPrefix.size() + kIdHexLength] != '_') {
    return invalidToken();
  }
  const std::string id(token.substr(kPrefix.size(), kIdHexLength));
  const std::string_view secret = token.substr(kPrefix.size() + kIdHexLength + 1);
  // Hash even for unknown ids so that timing does not tell which ids exist.
  const std::string presented = secretHash(secret);
  const auto steadyNow = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(rememberedMutex_);
    const auto it = remembered_.find(id);
    if (it != remembered_.end() && steadyNow < it->second.until) {
      // The stored hash of an id never changes: a mismatch is a wrong secret, not a stale entry.
      if (!crypto::constantTimeEquals(presented, it->second.secretHash)) {
        return invalidToken();
      }
      return AdminPrincipal{id, it->second.role};
    }
  }
  auto found = repository_->find(id);
  if (!found) {
    return fail(ErrorCode::kUnavailable, "cannot check admin tokens: store unavailable");
  }
  if (!found->has_value() || !crypto::constantTimeEquals(presented, (*found)->secretHash)) {
    return invalidToken();
  }
  if ((*found)->revokedAt) {
    return fail(ErrorCode::kUnauthenticated, "admin token " + id + " was revoked");
  }
  auto role = adminRoleFromName((*found)->role);
  if (!role) {
    return invalidToken();
  }
  {
    std::lock_guard lock(rememberedMutex_);
    if (remembered_.size() >= kAuthenticationCacheEntries) {
      remembered_.clear();  // many distinct tokens within a second: start over, stay bounded
    }
    remembered_[id] = Remembered{(*found)->secretHash, *role, steadyNow + kAuthenticationCacheTtl};
  }
  return AdminPrincipal{id, *role};
}

Result<void> AdminTokens::revoke(const std::string& id) {
  {
    std::lock_guard lock(rememberedMutex_);
    remembered_.erase(id);
  }
  auto revoked = repository_->revoke(id, toUnixSeconds(clock_.now()));
  // Again after the store: a request authenticating meanwhile may have remembered it anew.
  std::lock_guard lock(rememberedMutex_);
  remembered_.erase(id);
  return revoked;
}

Result<std::vector<store::AdminTokenRecord>> AdminTokens::list() const {
  return repository_->list();
}

}  // namespace tessera::hub
