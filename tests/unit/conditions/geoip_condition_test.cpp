#include "conditions/geoip_condition.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "condition_test_support.hpp"
#include "conditions/geoip_database.hpp"

namespace tessera::conditions {
namespace {

using namespace testing;

const std::string kGeoIpDir = std::string(TESSERA_SHARED_DIR) + "/testdata/geoip";
const std::string kCityDb = kGeoIpDir + "/GeoIP2-City-Test.mmdb";

std::shared_ptr<const GeoIpDatabase> cityDb() {
  static const auto db = [] {
    auto opened = GeoIpDatabase::open(kCityDb);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().describe());
    return opened.ok() ? *opened : nullptr;
  }();
  return db;
}

std::string locate(std::string_view ip) {
  auto found = cityDb()->lookup(ip);
  if (!found) {
    return "error: " + found.error().message;
  }
  if (!*found) {
    return "(none)";
  }
  std::string out = (*found)->country;
  for (const auto& s : (*found)->subdivisions) {
    out += " " + s;
  }
  return out;
}

// ---- database ----

TEST(GeoIpConditionDatabase, MissingFileIsAnIoErrorNamingThePath) {
  auto db = GeoIpDatabase::open(kGeoIpDir + "/missing.mmdb");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kIo);
  EXPECT_NE(db.error().message.find(kGeoIpDir + "/missing.mmdb"), std::string::npos)
      << db.error().message;
}

TEST(GeoIpConditionDatabase, NotAMaxMindDbIsConfigInvalidNamingThePath) {
  auto db = GeoIpDatabase::open(kGeoIpDir + "/GeoIP2-City-Test.json");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(db.error().message.find("GeoIP2-City-Test.json"), std::string::npos)
      << db.error().message;
}

TEST(GeoIpConditionDatabase, LooksUpCountriesAndIso3166_2Subdivisions) {
  ASSERT_TRUE(cityDb());
  EXPECT_EQ(locate("214.78.120.1"), "US US-CA");
  EXPECT_EQ(locate("214.78.123.255"), "US US-CA");
  EXPECT_EQ(locate("81.2.69.142"), "GB GB-ENG");
  EXPECT_EQ(locate("89.160.20.112"), "SE SE-E");
  EXPECT_EQ(locate("2001:218::1"), "JP");  // a country without subdivisions
}

TEST(GeoIpConditionDatabase, SeveralSubdivisionsLargestFirst) {
  ASSERT_TRUE(cityDb());
  EXPECT_EQ(locate("2.125.160.216"), "GB GB-ENG GB-WBK");
}

TEST(GeoIpConditionDatabase, Ipv4MappedAddressesAreLookedUpAsIpv4) {
  ASSERT_TRUE(cityDb());
  EXPECT_EQ(locate("::ffff:214.78.120.1"), "US US-CA");
  EXPECT_EQ(locate("::ffff:81.2.69.142"), "GB GB-ENG");
}

TEST(GeoIpConditionDatabase, UnknownAndCountrylessAddressesHaveNoLocation) {
  ASSERT_TRUE(cityDb());
  EXPECT_EQ(locate("10.1.2.3"), "(none)");
  EXPECT_EQ(locate("127.0.0.1"), "(none)");
  EXPECT_EQ(locate("::1"), "(none)");
  EXPECT_EQ(locate("214.1.1.1"), "(none)");  // an entry with traits only
}

TEST(GeoIpConditionDatabase, NonAddressesAreInvalidArguments) {
  ASSERT_TRUE(cityDb());
  for (const char* text : {"", "example.com", "214.78.120.1:80", "[::1]"}) {
    auto found = cityDb()->lookup(text);
    ASSERT_FALSE(found.ok()) << text;
    EXPECT_EQ(found.error().code, ErrorCode::kInvalidArgument) << text;
  }
}

TEST(GeoIpConditionDatabase, CountryDatabaseWorksToo) {
  auto db = GeoIpDatabase::open(kGeoIpDir + "/GeoIP2-Country-Test.mmdb");
  ASSERT_TRUE(db.ok()) << db.error().describe();
  auto found = (*db)->lookup("81.2.69.142");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->country, "GB");
  EXPECT_TRUE((*found)->subdivisions.empty());
}

TEST(GeoIpConditionDatabase, ConcurrentLookupsAgree) {
  auto db = cityDb();
  ASSERT_TRUE(db);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const bool california = (i + t) % 2 == 0;
        auto found = db->lookup(california ? "214.78.120.1" : "89.160.20.112");
        if (!found.ok() || !found->has_value() ||
            (*found)->subdivisions != std::vector<std::string>{california ? "US-CA" : "SE-E"}) {
          ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

// ---- the condition ----

json geoSpec(const json& countries, const json& subdivisions) {
  json spec{{"type", "geoip"}};
  if (!countries.is_null()) {
    spec["countries"] = countries;
  }
  if (!subdivisions.is_null()) {
    spec["subdivisions"] = subdivisions;
  }
  return spec;
}

ConditionResources withDb() {
  ConditionResources resources;
  resources.geoip = cityDb();
  return resources;
}

TEST(GeoIpCondition, SubdivisionAllowed) {
  auto c = compiled(geoSpec(nullptr, json::array({"US-CA"})), withDb());
  const auto o = from(*c, "214.78.120.1");
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.reason, "source 214.78.120.1 is in US-CA, allowed (subdivision US-CA)");
}

TEST(GeoIpCondition, CountryAllowed) {
  auto c = compiled(geoSpec(json::array({"FR", "GB"}), nullptr), withDb());
  auto o = from(*c, "81.2.69.142");
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.reason, "source 81.2.69.142 is in GB-ENG, allowed (country GB)");
  o = from(*c, "::ffff:81.2.69.142");
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.reason, "source ::ffff:81.2.69.142 is in GB-ENG, allowed (country GB)");
}

TEST(GeoIpCondition, AnyOfSeveralSubdivisions) {
  auto c = compiled(geoSpec(nullptr, json::array({"GB-WBK"})), withDb());
  const auto o = from(*c, "2.125.160.216");
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.reason, "source 2.125.160.216 is in GB-ENG/GB-WBK, allowed (subdivision GB-WBK)");
}

TEST(GeoIpCondition, ElsewhereFailsListingWhatIsAllowed) {
  // The docs/objects.md example.
  auto c = compiled(geoSpec(json::array({"FR", "DE"}), json::array({"ES-CT"})), withDb());
  auto o = from(*c, "89.160.20.112");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason,
            "source 89.160.20.112 is in SE-E, not in the allowed countries DE, FR or "
            "subdivisions ES-CT");
  o = from(*c, "2001:218::1");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason,
            "source 2001:218::1 is in JP, not in the allowed countries DE, FR or subdivisions "
            "ES-CT");
  auto californiaOnly = compiled(geoSpec(nullptr, json::array({"US-CA"})), withDb());
  EXPECT_EQ(from(*californiaOnly, "81.2.69.142").reason,
            "source 81.2.69.142 is in GB-ENG, not in the allowed subdivisions US-CA");
  auto usOnly = compiled(geoSpec(json::array({"US"}), nullptr), withDb());
  EXPECT_EQ(from(*usOnly, "81.2.69.142").reason,
            "source 81.2.69.142 is in GB-ENG, not in the allowed countries US");
}

TEST(GeoIpCondition, SubdivisionOfAnotherCountryDoesNotMatch) {
  // "CA" the subdivision of the US is not Canada, nor "ENG" of another country.
  auto c = compiled(geoSpec(json::array({"CA"}), json::array({"US-ENG"})), withDb());
  EXPECT_FALSE(from(*c, "214.78.120.1").passed);
  EXPECT_FALSE(from(*c, "81.2.69.142").passed);
}

TEST(GeoIpCondition, UnknownAddressFailsClosed) {
  auto c = compiled(geoSpec(json::array({"US"}), nullptr), withDb());
  auto o = from(*c, "10.1.2.3");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason.rfind("no location for 10.1.2.3", 0), 0u) << o.reason;
  EXPECT_NE(o.reason.find("GeoIP2-City-Test.mmdb"), std::string::npos) << o.reason;
  o = from(*c, "214.1.1.1");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason.rfind("no location for 214.1.1.1", 0), 0u) << o.reason;
}

TEST(GeoIpCondition, MissingOrUnparseableSourceFailsClosed) {
  auto c = compiled(geoSpec(json::array({"US"}), nullptr), withDb());
  auto o = from(*c, std::nullopt);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "no source address in the request context");
  o = from(*c, "california");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "source address 'california' is not an IP address");
}

TEST(GeoIpCondition, CompilesWithoutADatabaseAndThenFailsClosed) {
  auto c = compiled(geoSpec(json::array({"US"}), json::array({"US-CA"})), ConditionResources{});
  ASSERT_TRUE(c);
  const auto o = from(*c, "214.78.120.1");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.reason.find("no GeoIP database is configured"), std::string::npos) << o.reason;
}

TEST(GeoIpCondition, SpecWithoutCountriesOrSubdivisionsIsRefused) {
  auto c = compileCondition(accessCondition(geoSpec(nullptr, nullptr)), withDb());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().fields.at(0).pointer, "/spec");
  c = compileCondition(accessCondition(geoSpec("US", nullptr)), withDb());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().fields.at(0).pointer, "/spec/countries");
}

}  // namespace
}  // namespace tessera::conditions
