// Running a body inside BEGIN ... COMMIT on any store connection with exec(sql): rolled back
// when the body (or the commit) fails. Used by SqliteDb and PostgresDb.
#pragma once

#include <string_view>
#include <utility>

namespace tessera::store {

template <typename Db, typename F>
auto runInTransaction(Db& db, std::string_view begin, F&& body) -> decltype(body()) {
  if (auto started = db.exec(begin); !started) {
    return std::move(started).error();
  }
  auto result = body();
  if (!result) {
    (void)db.exec("ROLLBACK");
    return result;
  }
  if (auto commit = db.exec("COMMIT"); !commit) {
    (void)db.exec("ROLLBACK");
    return std::move(commit).error();
  }
  return result;
}

}  // namespace tessera::store
