#include "conditions/geoip_database.hpp"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "conditions/network_condition.hpp"

namespace tessera::conditions {

namespace {

// A database that lists more subdivisions than this for one address is not one we understand.
constexpr int kMaxSubdivisions = 8;

// The UTF-8 string at `path` in the entry, or nullopt when absent or not a string.
template <typename... Path>
Result<std::optional<std::string>> stringValue(MMDB_entry_s& entry, Path... path) {
  MMDB_entry_data_s data;
  const int status = MMDB_get_value(&entry, &data, path..., nullptr);
  if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
    return std::optional<std::string>();
  }
  if (status != MMDB_SUCCESS) {
    return fail(ErrorCode::kConfigInvalid,
                std::string("GeoIP database entry unreadable: ") + MMDB_strerror(status));
  }
  if (!data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::string(data.utf8_string, data.data_size));
}

}  // namespace

struct GeoIpDatabase::Mmdb {
  MMDB_s db{};
  ~Mmdb() { MMDB_close(&db); }
};

GeoIpDatabase::GeoIpDatabase(std::string path, std::unique_ptr<Mmdb> mmdb)
    : path_(std::move(path)), mmdb_(std::move(mmdb)) {}

GeoIpDatabase::~GeoIpDatabase() = default;

Result<std::shared_ptr<const GeoIpDatabase>> GeoIpDatabase::open(const std::string& path) {
  MMDB_s db{};
  errno = 0;
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db);
  if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) {
    const int savedErrno = errno;
    return fail(ErrorCode::kIo,
                "cannot read GeoIP database " + path + ": " + MMDB_strerror(status) +
                    (savedErrno != 0 ? std::string(" (") + std::strerror(savedErrno) + ")"
                                     : std::string()));
  }
  if (status != MMDB_SUCCESS) {
    return fail(ErrorCode::kConfigInvalid,
                "GeoIP database " + path + " is not a MaxMind DB: " + MMDB_strerror(status));
  }
  auto mmdb = std::make_unique<Mmdb>();
  mmdb->db = db;
  return std::shared_ptr<const GeoIpDatabase>(new GeoIpDatabase(path, std::move(mmdb)));
}

Result<std::optional<GeoLocation>> GeoIpDatabase::lookup(std::string_view ip) const {
  const auto address = parseIpAddress(ip);
  if (!address) {
    return fail(ErrorCode::kInvalidArgument, "not an IP address");
  }
  // A sockaddr rather than MMDB_lookup_string: no getaddrinfo per decision, and an IPv4-mapped
  // address is looked up as IPv4 whether or not the database aliases ::ffff:0:0/96.
  sockaddr_storage storage{};
  if (address->v4) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    std::memcpy(&in.sin_addr, address->bytes.data(), 4);
    std::memcpy(&storage, &in, sizeof in);
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    std::memcpy(&in6.sin6_addr, address->bytes.data(), 16);
    std::memcpy(&storage, &in6, sizeof in6);
  }
  int mmdbError = MMDB_SUCCESS;
  // Lookups only read the opened database, which libmaxminddb documents as thread-safe.
  auto result =
      MMDB_lookup_sockaddr(&mmdb_->db, reinterpret_cast<const sockaddr*>(&storage), &mmdbError);
  if (mmdbError == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) {
    return std::optional<GeoLocation>();
  }
  if (mmdbError != MMDB_SUCCESS) {
    return fail(ErrorCode::kConfigInvalid,
                "GeoIP lookup in " + path_ + " failed: " + MMDB_strerror(mmdbError));
  }
  if (!result.found_entry) {
    return std::optional<GeoLocation>();
  }
  TESSERA_DECLARE_OR_RETURN(const auto country, stringValue(result.entry, "country", "iso_code"));
  if (!country || country->empty()) {
    return std::optional<GeoLocation>();
  }
  GeoLocation location;
  location.country = *country;
  for (int i = 0; i < kMaxSubdivisions; ++i) {
    const std::string index = std::to_string(i);
    TESSERA_DECLARE_OR_RETURN(const auto code,
                              stringValue(result.entry, "subdivisions", index.c_str(), "iso_code"));
    if (!code) {
      break;
    }
    location.subdivisions.push_back(location.country + "-" + *code);
  }
  return std::optional<GeoLocation>(std::move(location));
}

}  // namespace tessera::conditions
