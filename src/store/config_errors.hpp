// The errors and limits shared by the ConfigRepository backends (SQLite, PostgreSQL), worded once
// so that both say the same thing. Used only by the store's config repositories.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "store/config_repository.hpp"

namespace tessera::store {

// "ServerWorkload/s3": how messages name a configuration object.
std::string configObjectName(const ConfigRecord& record);

// The version the stored row must have for an update or delete to apply.
std::int64_t expectedStoredVersion(const ConfigChange& change);

// kConflict: the change set was computed against an older revision.
Error staleConfigRevision(std::int64_t expected, std::int64_t actual);
// kAlreadyExists: a create found the object.
Error configObjectExists(const ConfigRecord& record);
// kNotFound: an update or delete found no object.
Error configObjectMissing(const ConfigChange& change);
// kPreconditionFailed: an update or delete found the object at another version.
Error configVersionMismatch(const ConfigChange& change, std::int64_t actual);

// AdminEventQuery::limit clamped to 1..1000.
int clampEventLimit(int limit);

}  // namespace tessera::store
