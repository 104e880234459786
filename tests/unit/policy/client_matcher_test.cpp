#include "policy/client_matcher.hpp"

#include <gtest/gtest.h>

namespace tessera::policy {
namespace {

using nlohmann::json;

Attributes podAttributes() {
  Attributes a;
  a["k8s.namespace"] = Attribute{"billing", true, "prod-cluster"};
  a["k8s.serviceAccountName"] = Attribute{"invoicer", true, "prod-cluster"};
  a["k8s.podName"] = Attribute{"batch-7f9c", true, "prod-cluster"};
  a["sourceIp"] = Attribute{"10.1.2.3", false, "context"};
  a["hostname"] = Attribute{"node-1", false, "context"};
  return a;
}

MatchOutcome evaluate(const json& match, const Attributes& a = podAttributes()) {
  auto m = ClientMatcher::compile(match);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m->evaluate(a);
}

TEST(PolicyClientMatcher, LeavesCompareOneAttributeEach) {
  EXPECT_TRUE(evaluate({{"attribute", "k8s.namespace"}, {"equals", "billing"}}).matched);
  EXPECT_FALSE(evaluate({{"attribute", "k8s.namespace"}, {"equals", "Billing"}}).matched);
  EXPECT_TRUE(
      evaluate({{"attribute", "k8s.serviceAccountName"}, {"oneOf", {"reporter", "invoicer"}}})
          .matched);
  EXPECT_FALSE(
      evaluate({{"attribute", "k8s.serviceAccountName"}, {"oneOf", {"reporter"}}}).matched);
  EXPECT_TRUE(evaluate({{"attribute", "k8s.podName"}, {"glob", "batch-*"}}).matched);
  EXPECT_FALSE(evaluate({{"attribute", "k8s.podName"}, {"glob", "web-*"}}).matched);
  EXPECT_TRUE(evaluate({{"attribute", "sourceIp"}, {"cidr", "10.0.0.0/8"}}).matched);
  EXPECT_FALSE(evaluate({{"attribute", "sourceIp"}, {"cidr", "10.1.3.0/24"}}).matched);
  EXPECT_FALSE(evaluate({{"attribute", "hostname"}, {"cidr", "10.0.0.0/8"}}).matched)
      << "a value that is not an address is never in a block";
}

TEST(PolicyClientMatcher, CidrHandlesBothFamiliesAndOddPrefixes) {
  Attributes a;
  a["sourceIp"] = Attribute{"2001:db8::1", false, "context"};
  EXPECT_TRUE(evaluate({{"attribute", "sourceIp"}, {"cidr", "2001:db8::/32"}}, a).matched);
  EXPECT_FALSE(evaluate({{"attribute", "sourceIp"}, {"cidr", "2001:db9::/32"}}, a).matched);
  EXPECT_FALSE(evaluate({{"attribute", "sourceIp"}, {"cidr", "10.0.0.0/8"}}, a).matched);
  a["sourceIp"] = Attribute{"192.168.5.200", false, "context"};
  EXPECT_TRUE(evaluate({{"attribute", "sourceIp"}, {"cidr", "192.168.5.192/27"}}, a).matched);
  EXPECT_FALSE(evaluate({{"attribute", "sourceIp"}, {"cidr", "192.168.5.160/27"}}, a).matched);
  EXPECT_TRUE(evaluate({{"attribute", "sourceIp"}, {"cidr", "0.0.0.0/0"}}, a).matched);
  a["sourceIp"] = Attribute{"::ffff:192.168.5.200", false, "context"};
  EXPECT_TRUE(evaluate({{"attribute", "sourceIp"}, {"cidr", "192.168.0.0/16"}}, a).matched)
      << "an IPv4-mapped IPv6 address is the IPv4 address";
}

TEST(PolicyClientMatcher, GroupsCombineAndShortCircuit) {
  const json match = {{"all",
                       {{{"attribute", "k8s.namespace"}, {"equals", "billing"}},
                        {{"any",
                          {{{"attribute", "k8s.serviceAccountName"}, {"equals", "reporter"}},
                           {{"attribute", "k8s.podName"}, {"glob", "batch-*"}}}}}}}};
  auto out = evaluate(match);
  EXPECT_TRUE(out.matched);
  ASSERT_EQ(out.trace.size(), 3u);
  EXPECT_EQ(out.trace[0],
            "k8s.namespace 'billing' (verified by prod-cluster) equals 'billing': match");
  EXPECT_EQ(out.trace[1],
            "k8s.serviceAccountName 'invoicer' (verified by prod-cluster) equals 'reporter': no "
            "match");
  EXPECT_EQ(out.trace[2],
            "k8s.podName 'batch-7f9c' (verified by prod-cluster) matches 'batch-*': match");
  EXPECT_FALSE(out.usedUnverified);

  auto first = evaluate({{"all",
                          {{{"attribute", "k8s.namespace"}, {"equals", "web"}},
                           {{"attribute", "k8s.podName"}, {"glob", "*"}}}}});
  EXPECT_FALSE(first.matched);
  EXPECT_EQ(first.trace.size(), 1u) << "all stops at the first failure";
}

TEST(PolicyClientMatcher, AbsentAttributesNeverMatchAndUnverifiedOnesAreFlagged) {
  auto absent = evaluate({{"attribute", "github.repository"}, {"glob", "*"}});
  EXPECT_FALSE(absent.matched);
  EXPECT_EQ(absent.trace[0], "github.repository: absent, no match");

  auto unverified = evaluate({{"attribute", "hostname"}, {"equals", "node-1"}});
  EXPECT_TRUE(unverified.matched);
  EXPECT_TRUE(unverified.usedUnverified);
  EXPECT_EQ(unverified.trace[0], "hostname 'node-1' (unverified) equals 'node-1': match");
}

TEST(PolicyClientMatcher, LayersAreSearchedFromTheLastPushed) {
  // Context first, then two identities: a verified value hides a context value of the same name,
  // and the later identity's value hides the earlier one's.
  Attributes context;
  context["k8s.podName"] = Attribute{"batch-forged", false, "context"};
  context["hostname"] = Attribute{"node-1", false, "context"};
  Attributes first;
  first["k8s.podName"] = Attribute{"batch-7f9c", true, "cluster-a"};
  first["k8s.namespace"] = Attribute{"billing", true, "cluster-a"};
  Attributes second;
  second["k8s.namespace"] = Attribute{"audit", true, "cluster-b"};
  AttributeLayers layers(context);
  layers.push(first);
  layers.push(second);
  ASSERT_NE(layers.find("k8s.podName"), nullptr);
  EXPECT_EQ(layers.find("k8s.podName")->value, "batch-7f9c");
  EXPECT_TRUE(layers.find("k8s.podName")->verified);
  EXPECT_EQ(layers.find("k8s.namespace")->source, "cluster-b");
  EXPECT_EQ(layers.find("hostname")->value, "node-1");
  EXPECT_EQ(layers.find("absent"), nullptr);
  EXPECT_EQ(AttributeLayers().find("hostname"), nullptr);

  auto m = ClientMatcher::compile({{"attribute", "k8s.podName"}, {"equals", "batch-7f9c"}});
  ASSERT_TRUE(m.ok());
  const auto out = m->evaluate(layers);
  EXPECT_TRUE(out.matched);
  EXPECT_FALSE(out.usedUnverified);
  EXPECT_FALSE(m->evaluate(context).matched) << "the forged context value alone does not match";
}

TEST(PolicyClientMatcher, RefusesShapesValidationWouldHaveRefused) {
  EXPECT_FALSE(ClientMatcher::compile(json::array()).ok());
  EXPECT_FALSE(ClientMatcher::compile({{"attribute", "a"}}).ok());
  EXPECT_FALSE(ClientMatcher::compile({{"equals", "a"}}).ok());
  EXPECT_FALSE(ClientMatcher::compile({{"attribute", "a"}, {"cidr", "10.0.0.0/33"}}).ok());
  EXPECT_FALSE(ClientMatcher::compile({{"attribute", "a"}, {"cidr", "nope/8"}}).ok());
  auto nested = ClientMatcher::compile({{"any", {{{"attribute", "a"}}}}});
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message.find("/spec/match/any/0"), std::string::npos);
}

}  // namespace
}  // namespace tessera::policy
