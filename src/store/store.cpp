#include "store/store.hpp"

#include <system_error>

#include "store/migrations.hpp"

#include "store/postgres/postgres_access_event_repository.hpp"
#include "store/postgres/postgres_admin_token_repository.hpp"
#include "store/postgres/postgres_config_repository.hpp"
#include "store/postgres/postgres_signing_key_repository.hpp"
#include "store/sqlite/sqlite_access_event_repository.hpp"
#include "store/sqlite/sqlite_admin_token_repository.hpp"
#include "store/sqlite/sqlite_config_repository.hpp"
#include "store/sqlite/sqlite_signing_key_repository.hpp"

namespace tessera::store {

Result<Store> openSqliteStore(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return fail(ErrorCode::kStoreFailure,
                  "cannot create directory " + path.parent_path().string() + ": " + ec.message());
    }
  }
  auto db = SqliteDb::open(path);
  // The store holds sealed keys and, later, sealed secrets: owner-only, like the KEK.
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace, ec);
  if (!db) {
    return std::move(db).error();
  }
  auto version = applyMigrations(**db, schemaMigrations());
  if (!version) {
    return std::move(version).error();
  }
  std::shared_ptr<SqliteDb> shared = std::move(*db);
  auto writerDb = SqliteDb::open(path);
  if (!writerDb) {
    return std::move(writerDb).error();
  }
  Store store;
  store.accessEventWriter = std::make_shared<SqliteAccessEventRepository>(
      std::shared_ptr<SqliteDb>(std::move(*writerDb)));
  store.signingKeys = std::make_shared<SqliteSigningKeyRepository>(shared);
  store.adminTokens = std::make_shared<SqliteAdminTokenRepository>(shared);
  store.config = std::make_shared<SqliteConfigRepository>(shared);
  store.accessEvents = std::make_shared<SqliteAccessEventRepository>(shared);
  store.schemaVersion = *version;
  return store;
}

Result<Store> openPostgresStore(const std::string& conninfo) {
  auto db = PostgresDb::connect(conninfo);
  if (!db) {
    return std::move(db).error();
  }
  auto version = applyPostgresMigrations(**db, schemaMigrations());
  if (!version) {
    return std::move(version).error();
  }
  std::shared_ptr<PostgresDb> shared = std::move(*db);
  auto writerDb = PostgresDb::connect(conninfo);
  if (!writerDb) {
    return std::move(writerDb).error();
  }
  Store store;
  store.accessEventWriter = std::make_shared<PostgresAccessEventRepository>(
      std::shared_ptr<PostgresDb>(std::move(*writerDb)));
  store.signingKeys = std::make_shared<PostgresSigningKeyRepository>(shared);
  store.adminTokens = std::make_shared<PostgresAdminTokenRepository>(shared);
  store.config = std::make_shared<PostgresConfigRepository>(shared);
  store.accessEvents = std::make_shared<PostgresAccessEventRepository>(shared);
  store.schemaVersion = *version;
  return store;
}

}  // namespace tessera::store
