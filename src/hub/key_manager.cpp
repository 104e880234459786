#include "hub/key_manager.hpp"

#include <spdlog/spdlog.h>

#include "common/time_format.hpp"
#include "jose/jwt.hpp"

namespace tessera::hub {

namespace {
std::string sealContext(const std::string& kid) {
  return "signing-key:" + kid;
}
}  // namespace

KeySnapshot::KeySnapshot(std::vector<store::SigningKeyRecord> records,
                         std::map<std::string, jose::Jwk> keys, std::int64_t storeVersion)
    : records_(std::move(records)), keys_(std::move(keys)), storeVersion_(storeVersion) {}

const jose::Jwk* KeySnapshot::signer(std::string_view algorithm, std::int64_t now) const {
  const auto* record = currentKey(records_, algorithm, now);
  if (record == nullptr) {
    return nullptr;
  }
  auto it = keys_.find(record->kid);
  return it == keys_.end() ? nullptr : &it->second;
}

nlohmann::json KeySnapshot::jwks(std::int64_t now) const {
  auto keys = nlohmann::json::array();
  for (const auto& r : records_) {
    if (keyStateAt(r, now) == KeyState::kRemoved) {
      continue;
    }
    if (auto it = keys_.find(r.kid); it != keys_.end()) {
      keys.push_back(it->second.toPublicJson());
    }
  }
  return nlohmann::json{{"keys", std::move(keys)}};
}

bool KeySnapshot::canSign(const std::vector<std::string>& algorithms, std::int64_t now) const {
  for (const auto& alg : algorithms) {
    if (signer(alg, now) == nullptr) {
      return false;
    }
  }
  return true;
}

KeyManager::KeyManager(std::shared_ptr<store::SigningKeyRepository> repository,
                       crypto::KeyEncryptionKey kek, KeyPolicy policy, const Clock& clock)
    : repository_(std::move(repository)),
      kek_(std::move(kek)),
      policy_(std::move(policy)),
      clock_(clock),
      snapshot_(std::make_shared<const KeySnapshot>(std::vector<store::SigningKeyRecord>{},
                                                    std::map<std::string, jose::Jwk>{}, -1)) {}

Result<void> KeyManager::refresh(bool force) {
  auto version = repository_->version();
  if (!version) {
    return std::move(version).error();
  }
  if (!force && *version == snapshot()->storeVersion()) {
    return {};
  }
  const std::int64_t now = toUnixSeconds(clock_.now());
  auto records = repository_->listPublished(now);
  if (!records) {
    return std::move(records).error();
  }
  std::map<std::string, jose::Jwk> keys;
  for (const auto& r : *records) {
    auto plain = crypto::unseal(kek_, r.sealedPrivateJwk, sealContext(r.kid));
    if (!plain) {
      return fail(plain.error().code, "signing key " + r.kid + ": " + plain.error().message);
    }
    auto jwk = jose::Jwk::parse(*plain, {.allowPrivate = true});
    if (!jwk) {
      return fail(ErrorCode::kInternal,
                  "signing key " + r.kid + " in the store is unusable: " + jwk.error().message);
    }
    keys.emplace(r.kid, std::move(*jwk));
  }
  snapshot_.store(
      std::make_shared<const KeySnapshot>(std::move(*records), std::move(keys), *version));
  return {};
}

Result<void> KeyManager::create(const PlannedKey& plan, std::int64_t now) {
  const auto alg = jose::algorithmFromName(plan.algorithm);
  if (!alg) {
    return fail(ErrorCode::kConfigInvalid, "unsupported signing algorithm " + plan.algorithm);
  }
  jose::JwkGenerateOptions options;
  options.rsaBits = policy_.rsaBits;
  auto jwk = jose::Jwk::generate(*alg, options);
  if (!jwk) {
    return std::move(jwk).error();
  }
  auto privateJson = jwk->toPrivateJson();
  if (!privateJson) {
    return std::move(privateJson).error();
  }
  store::SigningKeyRecord record;
  record.kid = jwk->kid();
  record.algorithm = plan.algorithm;
  record.publicJwk = jwk->toPublicJson().dump();
  auto sealed = crypto::seal(kek_, privateJson->dump(), sealContext(record.kid));
  if (!sealed) {
    return std::move(sealed).error();
  }
  record.sealedPrivateJwk = std::move(*sealed);
  record.createdAt = now;
  record.activatesAt = plan.activatesAt;
  TESSERA_RETURN_IF_ERROR(repository_->rotate(record, plan.retiresKid, plan.retiringRemoveAt));
  spdlog::info("signing key {} ({}) created, signs from {}{}: {}", record.kid, record.algorithm,
               formatUnixRfc3339(record.activatesAt),
               plan.retiresKid ? "; retires " + *plan.retiresKid : std::string(), plan.reason);
  return {};
}

Result<std::vector<PlannedKey>> KeyManager::apply(RotationTrigger trigger) {
  std::lock_guard lock(writeMutex_);
  TESSERA_RETURN_IF_ERROR(refresh(true));
  const std::int64_t now = toUnixSeconds(clock_.now());
  const auto plan = planRotation(snapshot()->records(), policy_, now, trigger);
  std::vector<PlannedKey> created;
  for (const auto& p : plan) {
    auto r = create(p, now);
    if (!r) {
      if (r.error().code == ErrorCode::kConflict) {
        // Another replica rotated this algorithm first; its key serves us too.
        spdlog::info("{} key rotation: another hub replica rotated first", p.algorithm);
        continue;
      }
      return std::move(r).error();
    }
    created.push_back(p);
  }
  auto purged = repository_->purgeRemoved(now);
  if (!purged) {
    return std::move(purged).error();
  }
  TESSERA_RETURN_IF_ERROR(refresh(true));
  return created;
}

Result<std::vector<PlannedKey>> KeyManager::maintain() {
  return apply(RotationTrigger::kSchedule);
}

Result<std::vector<PlannedKey>> KeyManager::rotateNow() {
  return apply(RotationTrigger::kCommand);
}

Result<std::string> KeyManager::sign(std::string_view algorithm,
                                     const nlohmann::json& claims) const {
  const auto alg = jose::algorithmFromName(algorithm);
  if (!alg) {
    return fail(ErrorCode::kInvalidArgument,
                "signing algorithm " + std::string(algorithm) + " is not RS256 or ES256");
  }
  if (!claims.is_object() || !claims.contains("iat") || !claims.contains("exp") ||
      !claims["iat"].is_number_integer() || !claims["exp"].is_number_integer()) {
    return fail(ErrorCode::kInvalidArgument, "claims must include integer iat and exp");
  }
  const std::int64_t iat = claims["iat"].get<std::int64_t>();
  const std::int64_t exp = claims["exp"].get<std::int64_t>();
  const std::int64_t maxLifetime =
      std::chrono::duration_cast<std::chrono::seconds>(policy_.maxTokenLifetime).count();
  if (exp <= iat || exp - iat > maxLifetime) {
    return fail(ErrorCode::kInvalidArgument, "token lifetime " + std::to_string(exp - iat) +
                                                 " s is outside 1.." + std::to_string(maxLifetime) +
                                                 " s (keys.maxTokenLifetime)");
  }
  const auto snap = snapshot();
  const auto* key = snap->signer(algorithm, toUnixSeconds(clock_.now()));
  if (key == nullptr) {
    return fail(ErrorCode::kUnavailable, "no current " + std::string(algorithm) +
                                             " signing key (is the hub maintaining "
                                             "its keys?)");
  }
  return jose::signJwt(*key, *alg, claims, "JWT");
}

}  // namespace tessera::hub
