// scanCommonAccessRequest against the general path (parseStrictJson + parseAccessRequest): the
// same request wherever the scan answers, nullopt wherever the general path refuses the body.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "hub/access_api.hpp"
#include "hub/access_service.hpp"
#include "hub/admin_api.hpp"
#include "jose/json_strict.hpp"

namespace tessera::hub {
namespace {

constexpr std::size_t kMax = kMaxAccessRequestBytes;

Result<AccessRequest> general(const std::string& body) {
  jose::JsonLimits limits;
  limits.maxBytes = kMax;
  limits.maxDepth = kMaxJsonDepth;
  auto json = jose::parseStrictJson(body, limits);
  if (!json) {
    return std::move(json).error();
  }
  return parseAccessRequest(*json);
}

void expectSame(const AccessRequest& a, const AccessRequest& b, const std::string& body) {
  SCOPED_TRACE(body);
  EXPECT_EQ(a.target.host, b.target.host);
  EXPECT_EQ(a.target.port, b.target.port);
  EXPECT_EQ(a.target.protocol, b.target.protocol);
  EXPECT_EQ(a.sourceIp, b.sourceIp);
  ASSERT_EQ(a.context.size(), b.context.size());
  for (auto i = a.context.begin(), j = b.context.begin(); i != a.context.end(); ++i, ++j) {
    EXPECT_EQ(i->first, j->first);
    EXPECT_EQ(i->second.value, j->second.value);
    EXPECT_EQ(i->second.verified, j->second.verified);
    EXPECT_EQ(i->second.source, j->second.source);
  }
  EXPECT_EQ(a.evidence.tokens, b.evidence.tokens);
  EXPECT_EQ(a.evidence.awsGetCallerIdentity.has_value(),
            b.evidence.awsGetCallerIdentity.has_value());
  EXPECT_EQ(a.evidence.awsInstanceIdentity.has_value(), b.evidence.awsInstanceIdentity.has_value());
  EXPECT_EQ(a.evidence.azureAttestedDocument.has_value(),
            b.evidence.azureAttestedDocument.has_value());
}

// Scans `body`; when the scan answers, the general path must give the same request.
bool scannedLikeGeneral(const std::string& body) {
  const auto scanned = scanCommonAccessRequest(body, kMax);
  const auto reference = general(body);
  if (scanned) {
    EXPECT_TRUE(static_cast<bool>(reference)) << body;
    if (reference) {
      expectSame(*scanned, *reference, body);
    }
  }
  return scanned.has_value();
}

const std::string kToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

TEST(AccessRequestScan, TakesTheBodiesEdgesSend) {
  const std::vector<std::string> bodies = {
      R"({"evidence":{"tokens":[")" + kToken +
          R"("]},"target":{"host":"api.example.com","port":443,"protocol":"http"},)"
          R"("context":{"sourceIp":"10.0.1.7","hostname":"pod-1"}})",
      // Any member order, whitespace, no context, no evidence.
      R"( { "target" : { "protocol" : "postgres" , "port" : 5432 , "host" : "DB.Example.COM" } } )",
      R"({"target":{"host":"h","port":1,"protocol":"p"},"evidence":{}})",
      R"({"target":{"host":"h","port":65535,"protocol":"p"},"evidence":{"tokens":[]}})",
      R"({"context":{"sourceIp":"2001:db8::1"},"target":{"host":"h","port":80,"protocol":"p"}})",
      // Escapes are decoded; upper case in an escape is lowered like the rest.
      R"({"target":{"host":"\u0041pi.example.com","port":443,"protocol":"ht\u0074p"},)"
      R"("context":{"na\u006de":"caf\u00e9 \"quoted\""}})",
      R"({"target":{"host":"h","port":443,"protocol":"p"},"evidence":{"tokens":["a","b","c"]}})",
      R"({"target":{"host":"h","port":443,"protocol":"p"},"context":{}})",
  };
  for (const auto& body : bodies) {
    EXPECT_TRUE(scannedLikeGeneral(body)) << body;
  }
  const auto r = scanCommonAccessRequest(bodies[1], kMax);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target.host, "db.example.com");
  EXPECT_EQ(r->target.port, 5432);
}

TEST(AccessRequestScan, LeavesEveryRefusedBodyToTheGeneralPath) {
  const std::string t = R"("target":{"host":"h","port":443,"protocol":"p"})";
  const std::vector<std::string> refused = {
      "",
      "[]",
      R"({})",
      "{" + t + R"(,"extra":1})",
      "{" + t + "," + t + "}",
      "{" + t + "} x",
      R"({"target":{"host":"h","port":443.0,"protocol":"p"}})",
      R"({"target":{"host":"h","port":4.43e2,"protocol":"p"}})",
      R"({"target":{"host":"h","port":0,"protocol":"p"}})",
      R"({"target":{"host":"h","port":-1,"protocol":"p"}})",
      R"({"target":{"host":"h","port":65536,"protocol":"p"}})",
      R"({"target":{"host":"h","port":"443","protocol":"p"}})",
      R"({"target":{"host":"","port":443,"protocol":"p"}})",
      R"({"target":{"host":")" + std::string(254, 'a') + R"(","port":443,"protocol":"p"}})",
      R"({"target":{"host":"h","port":443,"protocol":")" + std::string(33, 'p') + R"("}})",
      R"({"target":{"host":"h","port":443}})",
      R"({"target":{"host":"h","port":443,"protocol":"p","x":1}})",
      R"({"target":"h:443"})",
      "{" + t + R"(,"context":{"a":1}})",
      "{" + t + R"(,"context":{"":"x"}})",
      "{" + t + R"(,"context":{")" + std::string(65, 'k') + R"(":"x"}})",
      "{" + t + R"(,"context":{"a":")" + std::string(1025, 'v') + R"("}})",
      "{" + t + R"(,"context":{"sourceIp":"10.0.0.300"}})",
      "{" + t + R"(,"context":[]})",
      "{" + t + R"(,"evidence":{"tokens":"x"}})",
      "{" + t + R"(,"evidence":{"tokens":[""]}})",
      "{" + t + R"(,"evidence":{"tokens":[1]}})",
      "{" + t + R"(,"evidence":{"tokens":["a","a","a","a","a","a","a","a","a"]}})",
      "{" + t + R"(,"evidence":{"tokens":[")" + std::string(16 * 1024 + 1, 'x') + R"("]}})",
      "{" + t + R"(,"evidence":{"token":["x"]}})",
      "{" + t + R"(,"evidence":[]})",
      R"({"target":{"host":"h\ud800","port":443,"protocol":"p"}})",
  };
  for (const auto& body : refused) {
    EXPECT_FALSE(scanCommonAccessRequest(body, kMax)) << body;
    EXPECT_FALSE(general(body)) << body;
  }
  std::string context = "{" + t + R"(,"context":{)";
  for (std::size_t i = 0; i <= kMaxContextMembers; ++i) {
    context += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  }
  context += "}}";
  EXPECT_FALSE(scanCommonAccessRequest(context, kMax));
  EXPECT_FALSE(general(context));
  // Oversize: the limit applies to the whole body.
  const std::string big = "{" + t + R"(,"context":{"a":")" + std::string(600, 'v') + R"("}})";
  EXPECT_FALSE(scanCommonAccessRequest(big, 100));
}

TEST(AccessRequestScan, LeavesOtherEvidenceToTheGeneralPath) {
  const std::string body =
      R"({"target":{"host":"h","port":443,"protocol":"p"},)"
      R"("evidence":{"awsInstanceIdentity":{"document":"{}","rsa2048":"c2ln"}}})";
  EXPECT_FALSE(scanCommonAccessRequest(body, kMax));
  ASSERT_TRUE(general(body)) << general(body).error().describe();
}

// Bodies assembled from good and bad parts at random: wherever the scan answers, it agrees with
// the general path, and it answers for every body made only of good parts.
TEST(AccessRequestScan, AgreesWithTheGeneralPathOnRandomBodies) {
  std::mt19937 rng(20261201);
  const auto pick = [&](const std::vector<std::string>& options) {
    return options[std::uniform_int_distribution<std::size_t>(0, options.size() - 1)(rng)];
  };
  const std::vector<std::string> goodHosts = {R"("a.example.com")", R"("A.Example.Com")",
                                              R"("10.0.0.1")", R"("x\u0042y")"};
  const std::vector<std::string> badHosts = {R"("")", "1", "null", R"(["h"])"};
  const std::vector<std::string> goodPorts = {"1", "443", "5432", "65535"};
  const std::vector<std::string> badPorts = {"0",   "65536",    "-443", "443.5",
                                             "1e2", R"("443")", "true", "00443"};
  const std::vector<std::string> goodValues = {R"("v")", R"("")", R"("caf\u00e9")",
                                               R"("tab\tend")"};
  const std::vector<std::string> badValues = {"1", "null", "{}", "[]"};
  const std::vector<std::string> goodIps = {R"("10.0.1.7")", R"("::1")", R"("214.78.120.1")"};
  const std::vector<std::string> badIps = {R"("10.0.1")", R"("host")", R"("")"};
  const std::vector<std::string> goodTokens = {R"(")" + kToken + R"(")", R"("a.b.c")", R"("x\/y")"};
  const std::vector<std::string> badTokens = {R"("")", "7", "null"};
  int scanned = 0;
  int allGood = 0;
  for (int i = 0; i < 5000; ++i) {
    bool good = true;
    const auto part = [&](const std::vector<std::string>& g, const std::vector<std::string>& b) {
      if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
        good = false;
        return pick(b);
      }
      return pick(g);
    };
    std::vector<std::string> members;
    members.push_back(R"("target":{"host":)" + part(goodHosts, badHosts) + R"(,"port":)" +
                      part(goodPorts, badPorts) + R"(,"protocol":"http"})");
    if (rng() % 2) {
      std::string c = R"("context":{)";
      const int n = static_cast<int>(rng() % 4);
      for (int k = 0; k < n; ++k) {
        c += (k ? "," : "") + std::string("\"k") + std::to_string(k) +
             "\":" + part(goodValues, badValues);
      }
      if (rng() % 2) {
        c += std::string(n ? "," : "") + R"("sourceIp":)" + part(goodIps, badIps);
      }
      members.push_back(c + "}");
    }
    if (rng() % 4 != 0) {
      std::string e = R"("evidence":{"tokens":[)";
      const int n = static_cast<int>(rng() % 3);
      for (int k = 0; k < n; ++k) {
        e += (k ? "," : "") + part(goodTokens, badTokens);
      }
      members.push_back(e + "]}");
    }
    std::shuffle(members.begin(), members.end(), rng);
    std::string body = "{";
    for (std::size_t k = 0; k < members.size(); ++k) {
      body += (k ? "," : "") + members[k];
    }
    body += "}";
    const bool answered = scannedLikeGeneral(body);
    if (!general(body)) {
      EXPECT_FALSE(answered) << body;
    }
    if (good) {
      ++allGood;
      EXPECT_TRUE(answered) << body;
    }
    scanned += answered ? 1 : 0;
  }
  EXPECT_GT(allGood, 1000);
  EXPECT_GE(scanned, allGood);
}

}  // namespace
}  // namespace tessera::hub
