#include "store/config_errors.hpp"

#include <algorithm>

namespace tessera::store {

namespace {
constexpr int kMaxEventLimit = 1000;

const char* verb(const ConfigChange& change) {
  switch (change.op) {
    case ConfigChange::Op::kCreate:
      return "create";
    case ConfigChange::Op::kUpdate:
      return "update";
    case ConfigChange::Op::kDelete:
      return "delete";
  }
  return "change";
}
}  // namespace

std::string configObjectName(const ConfigRecord& record) {
  return record.kind + "/" + record.name;
}

std::int64_t expectedStoredVersion(const ConfigChange& change) {
  return change.op == ConfigChange::Op::kUpdate ? change.record.version - 1 : change.record.version;
}

Error staleConfigRevision(std::int64_t expected, std::int64_t actual) {
  return Error{ErrorCode::kConflict, "the configuration changed since revision " +
                                         std::to_string(expected) + " (it is now at revision " +
                                         std::to_string(actual) + "); re-read it and retry"};
}

Error configObjectExists(const ConfigRecord& record) {
  return Error{ErrorCode::kAlreadyExists, configObjectName(record) + " already exists"};
}

Error configObjectMissing(const ConfigChange& change) {
  return Error{ErrorCode::kNotFound, std::string("cannot ") + verb(change) + " " +
                                         configObjectName(change.record) + ": it does not exist"};
}

Error configVersionMismatch(const ConfigChange& change, std::int64_t actual) {
  return Error{ErrorCode::kPreconditionFailed,
               std::string("cannot ") + verb(change) + " " + configObjectName(change.record) +
                   ": expected version " + std::to_string(expectedStoredVersion(change)) +
                   ", found version " + std::to_string(actual) + "; re-read it and retry"};
}

int clampEventLimit(int limit) {
  return std::clamp(limit, 1, kMaxEventLimit);
}

}  // namespace tessera::store
