// Sealing of write-only secret fields (Schema::secret()) at rest. The hub's config service seals
// every secret field of an object before its stored document reaches the store and unseals them
// when it loads the store into a snapshot, so the database (and its backups) never hold a static
// secret in the clear. A sealed field is stored as {"sealed": "tsl1.<kek id>.<...>"} in place of
// its string: an object, so that no plaintext value (whatever it looks like) is ever mistaken for
// a sealed one, and plaintext strings written before sealing existed still load.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/sealing.hpp"
#include "model/config_object.hpp"
#include "model/spec_registry.hpp"

namespace tessera::model {

// The additional authenticated data of one secret field: binds the sealed value to its object
// and field, so a sealed value copied into another row or field does not unseal.
std::string secretAad(Kind kind, std::string_view name, std::string_view pointer);

// Seals every secret field of `object` in place. kCryptoFailure when sealing fails.
Result<void> sealSecrets(ConfigObject& object, const SpecRegistry& registry,
                         const crypto::KeyEncryptionKey& kek);

struct UnsealProblem {
  std::string pointer;  // the secret field, e.g. "/spec/value"
  std::string reason;   // why it could not be unsealed (never the value)
};

// Unseals every sealed secret field of `object` in place; plaintext fields (stored before
// sealing) are kept. A field that cannot be unsealed (another KEK, a tampered row) is removed
// and reported, so one bad row fails closed on its own provider instead of the whole
// configuration.
std::vector<UnsealProblem> unsealSecrets(ConfigObject& object, const SpecRegistry& registry,
                                         const crypto::KeyEncryptionKey& kek);

}  // namespace tessera::model
