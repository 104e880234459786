// Where the hub keeps configuration objects (client workloads, server workloads, trust providers,
// access conditions, credential providers, access policies) and the admin audit events.
// The store does not interpret objects: each is a kind, a name and a JSON document owned by
// src/model. Writes are whole change sets, all or nothing, checked against the configuration
// revision the caller read, so that reference checks made on that revision still hold when the
// change lands (optimistic concurrency over the whole configuration). Implemented per store
// backend; used by hub/config_service.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tessera::store {

struct ConfigRecord {
  std::string kind;            // "ServerWorkload"
  std::string name;            // unique per kind
  std::string document;        // JSON text, opaque to the store
  std::int64_t createdAt = 0;  // Unix seconds
  std::int64_t updatedAt = 0;
  std::int64_t version = 0;  // 1 when created, +1 on each update
};

struct ConfigChange {
  enum class Op { kCreate, kUpdate, kDelete };
  Op op = Op::kCreate;
  // kCreate: the full record (version 1). kUpdate: the full record with its new version; the
  // stored version must be record.version - 1. kDelete: kind, name and the stored version.
  ConfigRecord record{};
};

// One admin audit event: who changed what, when, and the object before and after (JSON text
// with secret fields already redacted by the caller; "" for none).
struct AdminEventRecord {
  std::int64_t id = 0;  // assigned by the store, increasing
  std::int64_t at = 0;  // Unix seconds
  std::string actor;    // admin token id, or "cli:<user>" for local commands
  std::string action;   // "create", "update", "delete", "token.create", "token.revoke"
  std::string kind;
  std::string name;
  std::string before;
  std::string after;
  std::int64_t revision = 0;  // configuration revision the change produced (0: none)
};

struct ConfigCommit {
  // The revision the change set was computed against: kConflict when the configuration has
  // changed since, and nothing is written.
  std::int64_t expectedRevision = 0;
  std::vector<ConfigChange> changes{};
  // Written in the same transaction; ids and revision assigned by the store.
  std::vector<AdminEventRecord> events{};
};

struct ConfigState {
  std::int64_t revision = 0;
  std::vector<ConfigRecord> records{};  // ordered by kind, then name
};

struct AdminEventQuery {
  std::optional<std::int64_t> since{};  // at >= since
  std::optional<std::int64_t> until{};  // at < until
  std::optional<std::string> kind{};
  std::optional<std::int64_t> beforeId{};  // page cursor: id < beforeId
  int limit = 100;                         // newest first
};

class ConfigRepository {
 public:
  virtual ~ConfigRepository() = default;

  // The configuration revision: 0 for an empty store, +1 per committed change set. Cheap; the
  // hub polls it to learn of changes made by other replicas.
  virtual Result<std::int64_t> revision() = 0;

  // Every record with the revision they form, read in one transaction.
  virtual Result<ConfigState> load() = 0;

  // Applies the change set and its events in one transaction and returns the new revision.
  // kConflict when expectedRevision is stale; kAlreadyExists / kPreconditionFailed when a create
  // or an update/delete finds the row not as stated. Nothing is written on any failure.
  virtual Result<std::int64_t> commit(const ConfigCommit& commit) = 0;

  // Appends events that change no configuration (admin token changes); revision stays 0.
  virtual Result<void> appendEvents(const std::vector<AdminEventRecord>& events) = 0;

  // Newest first, at most query.limit (1..1000).
  virtual Result<std::vector<AdminEventRecord>> events(const AdminEventQuery& query) = 0;
};

}  // namespace tessera::store
