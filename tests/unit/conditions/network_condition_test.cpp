#include "conditions/network_condition.hpp"

#include <gtest/gtest.h>

#include <string>

#include "condition_test_support.hpp"

namespace tessera::conditions {
namespace {

using namespace testing;

std::string cidr(std::string_view text) {
  auto block = parseCidr(text);
  return block ? block->toString() : "error: " + block.error().message;
}

bool in(std::string_view block, std::string_view address) {
  auto b = parseCidr(block);
  auto a = parseIpAddress(address);
  EXPECT_TRUE(b.ok()) << block;
  EXPECT_TRUE(a.has_value()) << address;
  return b.ok() && a && b->contains(*a);
}

// ---- addresses ----

TEST(NetworkConditionAddress, ParsesIpv4Ipv6AndFoldsIpv4Mapped) {
  ASSERT_TRUE(parseIpAddress("10.1.2.3"));
  EXPECT_TRUE(parseIpAddress("10.1.2.3")->v4);
  EXPECT_EQ(parseIpAddress("10.1.2.3")->toString(), "10.1.2.3");
  ASSERT_TRUE(parseIpAddress("2001:DB8::1"));
  EXPECT_FALSE(parseIpAddress("2001:DB8::1")->v4);
  EXPECT_EQ(parseIpAddress("2001:DB8::1")->toString(), "2001:db8::1");
  ASSERT_TRUE(parseIpAddress("::ffff:10.1.2.3"));
  EXPECT_TRUE(parseIpAddress("::ffff:10.1.2.3")->v4);
  EXPECT_EQ(parseIpAddress("::ffff:10.1.2.3")->toString(), "10.1.2.3");
  EXPECT_EQ(parseIpAddress("::ffff:a01:203")->toString(), "10.1.2.3");
  // IPv4-compatible (deprecated) and NAT64 addresses are IPv6, not IPv4.
  EXPECT_FALSE(parseIpAddress("::10.1.2.3")->v4);
  EXPECT_FALSE(parseIpAddress("64:ff9b::10.1.2.3")->v4);
}

TEST(NetworkConditionAddress, RefusesWhatIsNotALiteralAddress) {
  for (const char* text : {"", " ", "10.1.2.3 ", " 10.1.2.3", "10.1.2", "10.1.2.3.4", "256.1.1.1",
                           "010.1.2.3", "10.1.2.3:443", "[::1]", "fe80::1%eth0", "::1/128",
                           "example.com", "1:2:3:4:5:6:7:8:9", "10.1.2.3\n"}) {
    EXPECT_FALSE(parseIpAddress(text)) << "'" << text << "'";
  }
  EXPECT_FALSE(parseIpAddress(std::string("10.1.2.3\0garbage", 16)));
  EXPECT_FALSE(parseIpAddress(std::string(200, '1')));
}

// ---- blocks ----

TEST(NetworkConditionCidr, CanonicalForms) {
  EXPECT_EQ(cidr("10.0.0.0/8"), "10.0.0.0/8");
  EXPECT_EQ(cidr("2001:DB8:0::/32"), "2001:db8::/32");
  EXPECT_EQ(cidr("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(cidr("::/0"), "::/0");
  EXPECT_EQ(cidr("192.0.2.7/32"), "192.0.2.7/32");
  EXPECT_EQ(cidr("2001:db8::7/128"), "2001:db8::7/128");
  EXPECT_EQ(cidr("10.0.0.0/08"), "10.0.0.0/8");
}

TEST(NetworkConditionCidr, HostBitsAreClearedNotRefused) {
  EXPECT_EQ(cidr("10.1.2.3/8"), "10.0.0.0/8");
  EXPECT_EQ(cidr("10.1.255.255/20"), "10.1.240.0/20");
  EXPECT_EQ(cidr("10.1.2.3/0"), "0.0.0.0/0");
  EXPECT_EQ(cidr("2001:db8:ffff::1/33"), "2001:db8:8000::/33");
  EXPECT_EQ(cidr("2001:db8::1/0"), "::/0");
  EXPECT_EQ(cidr("2001:db8::ff/127"), "2001:db8::fe/127");
}

TEST(NetworkConditionCidr, Ipv4MappedBlocksBecomeIpv4Blocks) {
  EXPECT_EQ(cidr("::ffff:10.0.0.0/104"), "10.0.0.0/8");
  EXPECT_EQ(cidr("::ffff:0:0/96"), "0.0.0.0/0");
  EXPECT_EQ(cidr("::ffff:10.1.2.3/128"), "10.1.2.3/32");
  // Shorter than /96 it covers more than the mapped space: it stays IPv6.
  EXPECT_EQ(cidr("::ffff:0:0/95"), "::fffe:0:0/95");
}

TEST(NetworkConditionCidr, RefusesMalformedBlocks) {
  for (const char* text :
       {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-0", "10.0.0.0/+8", "10.0.0.0/8 ",
        "10.0.0.0/8/8", "/8", "::/129", "::/1000", "10.0.0/8", "host/8", "10.0.0.0/0x8", ""}) {
    EXPECT_FALSE(parseCidr(text).ok()) << "'" << text << "'";
  }
  EXPECT_NE(parseCidr("10.0.0.0/33").error().message.find("0-32"), std::string::npos);
  EXPECT_NE(parseCidr("::/129").error().message.find("0-128"), std::string::npos);
}

TEST(NetworkConditionCidr, PrefixZeroMatchesItsWholeFamilyOnly) {
  EXPECT_TRUE(in("0.0.0.0/0", "0.0.0.0"));
  EXPECT_TRUE(in("0.0.0.0/0", "255.255.255.255"));
  EXPECT_TRUE(in("0.0.0.0/0", "::ffff:1.2.3.4"));
  EXPECT_FALSE(in("0.0.0.0/0", "::1"));
  EXPECT_TRUE(in("::/0", "::"));
  EXPECT_TRUE(in("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(in("::/0", "10.1.2.3"));
  EXPECT_FALSE(in("::/0", "::ffff:10.1.2.3"));
}

TEST(NetworkConditionCidr, FullLengthPrefixesMatchOneAddress) {
  EXPECT_TRUE(in("192.0.2.7/32", "192.0.2.7"));
  EXPECT_FALSE(in("192.0.2.7/32", "192.0.2.6"));
  EXPECT_FALSE(in("192.0.2.7/32", "192.0.2.8"));
  EXPECT_TRUE(in("192.0.2.7/32", "::ffff:192.0.2.7"));
  EXPECT_TRUE(in("2001:db8::7/128", "2001:db8::7"));
  EXPECT_FALSE(in("2001:db8::7/128", "2001:db8::6"));
  EXPECT_FALSE(in("2001:db8::7/128", "2001:db8::8"));
  EXPECT_FALSE(in("2001:db8::7/128", "2001:db8::7:0"));
}

TEST(NetworkConditionCidr, NonByteAlignedPrefixes) {
  // 10.1.16.0/20 is 10.1.16.0 - 10.1.31.255.
  EXPECT_FALSE(in("10.1.16.0/20", "10.1.15.255"));
  EXPECT_TRUE(in("10.1.16.0/20", "10.1.16.0"));
  EXPECT_TRUE(in("10.1.16.0/20", "10.1.31.255"));
  EXPECT_FALSE(in("10.1.16.0/20", "10.1.32.0"));
  // /1 and /31.
  EXPECT_TRUE(in("128.0.0.0/1", "200.1.1.1"));
  EXPECT_FALSE(in("128.0.0.0/1", "127.255.255.255"));
  EXPECT_TRUE(in("10.0.0.2/31", "10.0.0.3"));
  EXPECT_FALSE(in("10.0.0.2/31", "10.0.0.4"));
  EXPECT_FALSE(in("10.0.0.2/31", "10.0.0.1"));
  // 2001:db8:8000::/33 is the upper half of 2001:db8::/32.
  EXPECT_TRUE(in("2001:db8:8000::/33", "2001:db8:8000::1"));
  EXPECT_TRUE(in("2001:db8:8000::/33", "2001:db8:ffff:ffff::"));
  EXPECT_FALSE(in("2001:db8:8000::/33", "2001:db8:7fff:ffff::"));
  // /127: the last bit only.
  EXPECT_TRUE(in("2001:db8::fe/127", "2001:db8::ff"));
  EXPECT_FALSE(in("2001:db8::fe/127", "2001:db8::fd"));
  // A prefix one bit into a byte, every bit position of that byte.
  for (int bit = 0; bit < 8; ++bit) {
    const int prefix = 24 + bit + 1;
    const int value = 0x80 >> bit;
    const std::string block = "10.0.0." + std::to_string(value) + "/" + std::to_string(prefix);
    EXPECT_TRUE(in(block, "10.0.0." + std::to_string(value))) << block;
    EXPECT_FALSE(in(block, "10.0.0.0")) << block;
  }
}

// ---- the condition ----

json networkSpec(const json& allow, const json& deny) {
  json spec{{"type", "network"}};
  if (!allow.is_null()) {
    spec["allow"] = allow;
  }
  if (!deny.is_null()) {
    spec["deny"] = deny;
  }
  return spec;
}

class NetworkConditionCorporate : public ::testing::Test {
 protected:
  // The docs/objects.md example.
  std::unique_ptr<const Condition> c_ = compiled(
      networkSpec(json::array({"10.0.0.0/8", "2001:db8::/32"}), json::array({"10.66.0.0/16"})));
};

TEST_F(NetworkConditionCorporate, DenyWinsOverAllow) {
  const auto o = from(*c_, "10.66.1.2");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "source 10.66.1.2 is in denied block 10.66.0.0/16");
}

TEST_F(NetworkConditionCorporate, AllowedBlocksPass) {
  auto o = from(*c_, "10.1.2.3");
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.reason, "source 10.1.2.3 is in allowed block 10.0.0.0/8");
  o = from(*c_, "2001:db8:1::5");
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.reason, "source 2001:db8:1::5 is in allowed block 2001:db8::/32");
}

TEST_F(NetworkConditionCorporate, Ipv4MappedSourcesMatchIpv4Blocks) {
  EXPECT_TRUE(from(*c_, "::ffff:10.1.2.3").passed);
  const auto denied = from(*c_, "::ffff:10.66.1.2");
  EXPECT_FALSE(denied.passed);
  EXPECT_EQ(denied.reason, "source ::ffff:10.66.1.2 is in denied block 10.66.0.0/16");
}

TEST_F(NetworkConditionCorporate, OutsideEveryAllowedBlockFails) {
  auto o = from(*c_, "192.0.2.1");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "source 192.0.2.1 is in no allowed block (10.0.0.0/8, 2001:db8::/32)");
  o = from(*c_, "2001:db9::1");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "source 2001:db9::1 is in no allowed block (10.0.0.0/8, 2001:db8::/32)");
  EXPECT_FALSE(from(*c_, "11.0.0.0").passed);
  EXPECT_FALSE(from(*c_, "9.255.255.255").passed);
}

TEST_F(NetworkConditionCorporate, MissingOrUnparseableSourceFailsClosed) {
  auto o = from(*c_, std::nullopt);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "no source address in the request context");
  o = from(*c_, "");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "no source address in the request context");
  o = from(*c_, "10.1.2.3:443");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "source address '10.1.2.3:443' is not an IP address");
  // Untrusted text is bounded and printable in the reason.
  o = from(*c_, std::string("10.1.2.3\n'evil'") + std::string(100, 'x'));
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason.find('\n'), std::string::npos);
  EXPECT_NE(o.reason.find("'10.1.2.3??evil?xxx"), std::string::npos) << o.reason;
  EXPECT_NE(o.reason.find("...' is not an IP address"), std::string::npos) << o.reason;
  EXPECT_LT(o.reason.size(), 120u);
}

TEST(NetworkCondition, OnlyDenyPassesEverythingNotDenied) {
  auto c = compiled(networkSpec(nullptr, json::array({"10.66.0.0/16", "::/0"})));
  auto o = from(*c, "192.0.2.1");
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.reason, "source 192.0.2.1 is in no denied block (10.66.0.0/16, ::/0)");
  // "deny ::/0" denies IPv6 callers, not IPv4 ones (mapped or not).
  EXPECT_TRUE(from(*c, "::ffff:192.0.2.1").passed);
  o = from(*c, "2001:db8::1");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.reason, "source 2001:db8::1 is in denied block ::/0");
  EXPECT_FALSE(from(*c, "10.66.255.255").passed);
  // Fail closed still applies without an allow list.
  EXPECT_FALSE(from(*c, std::nullopt).passed);
  EXPECT_FALSE(from(*c, "nope").passed);
}

TEST(NetworkCondition, OnlyAllowRefusesEverythingElse) {
  auto c = compiled(networkSpec(json::array({"192.0.2.0/24"}), nullptr));
  EXPECT_TRUE(from(*c, "192.0.2.255").passed);
  EXPECT_FALSE(from(*c, "192.0.3.0").passed);
  EXPECT_FALSE(from(*c, "::1").passed);
}

TEST(NetworkCondition, AllowEverythingDenySome) {
  auto c = compiled(networkSpec(json::array({"0.0.0.0/0", "::/0"}),
                                json::array({"169.254.169.254/32", "fd00::/8"})));
  EXPECT_TRUE(from(*c, "8.8.8.8").passed);
  EXPECT_TRUE(from(*c, "2001:db8::1").passed);
  EXPECT_EQ(from(*c, "169.254.169.254").reason,
            "source 169.254.169.254 is in denied block 169.254.169.254/32");
  EXPECT_TRUE(from(*c, "169.254.169.253").passed);
  EXPECT_EQ(from(*c, "fd12::1").reason, "source fd12::1 is in denied block fd00::/8");
}

TEST(NetworkCondition, HostBitsInTheSpecAreNormalisedInReasons) {
  auto c = compiled(networkSpec(json::array({"10.1.2.3/8"}), nullptr));
  EXPECT_EQ(from(*c, "10.200.0.1").reason, "source 10.200.0.1 is in allowed block 10.0.0.0/8");
}

TEST(NetworkCondition, LongListsAreShortenedInReasons) {
  auto c = compiled(networkSpec(json::array({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                             "100.64.0.0/10", "198.18.0.0/15", "fc00::/7"}),
                                nullptr));
  EXPECT_EQ(from(*c, "8.8.8.8").reason,
            "source 8.8.8.8 is in no allowed block (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
            "100.64.0.0/10 and 2 more)");
  EXPECT_TRUE(from(*c, "fd00::1").passed);
}

TEST(NetworkCondition, BadBlocksThatBypassedValidationNameTheirPointer) {
  auto c = compileCondition(
      accessCondition(networkSpec(json::array({"10.0.0.0/8", "10.0.0.0/40"}), nullptr)), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.error().fields.at(0).pointer, "/spec/allow/1");
  c = compileCondition(accessCondition(networkSpec(nullptr, json::array({42}))), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().fields.at(0).pointer, "/spec/deny/0");
  c = compileCondition(accessCondition(networkSpec(nullptr, nullptr)), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().fields.at(0).pointer, "/spec");
}

}  // namespace
}  // namespace tessera::conditions
