// GeoIpDatabase: a MaxMind DB (GeoIP2 / GeoLite2 City or Country, .mmdb) opened once and shared
// by every geoip condition of the snapshot (through ConditionResources). The hub opens it at
// start-up from its configuration; lookups are read-only on the memory-mapped file and
// therefore safe from any number of threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tessera::conditions {

struct GeoLocation {
  std::string country;                    // ISO 3166-1 alpha-2, e.g. "US"
  std::vector<std::string> subdivisions;  // ISO 3166-2, largest first, e.g. {"GB-ENG", "GB-WBK"}
};

class GeoIpDatabase {
 public:
  // kIo when the file cannot be read, kConfigInvalid when it is not a MaxMind DB; both name the
  // path.
  static Result<std::shared_ptr<const GeoIpDatabase>> open(const std::string& path);

  ~GeoIpDatabase();
  GeoIpDatabase(const GeoIpDatabase&) = delete;
  GeoIpDatabase& operator=(const GeoIpDatabase&) = delete;

  // The location of `ip` (IPv4, IPv6, IPv4-mapped IPv6), or nullopt when the database has no
  // country for it. kInvalidArgument when `ip` is not an address; kConfigInvalid when the
  // database is corrupt.
  Result<std::optional<GeoLocation>> lookup(std::string_view ip) const;

  const std::string& path() const noexcept { return path_; }

 private:
  struct Mmdb;
  GeoIpDatabase(std::string path, std::unique_ptr<Mmdb> mmdb);

  std::string path_;
  std::unique_ptr<Mmdb> mmdb_;
};

}  // namespace tessera::conditions
