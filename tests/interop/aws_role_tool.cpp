// Test-only helper for the aws-role interop test (aws_role_interop.py): runs a signed
// GetCallerIdentity request through the aws-role trust provider the way the hub does (evidence
// parsing, prepareReplay, net::HttpClient, identityFromResponse) and prints what happened.
//   aws_role_tool SERVER_ID SPEC_JSON < {"method", "url", "headers", "body"}
// prints {"stage": "evidence"|"prepare"|"replay"|"identity", "ok", "code", "message",
//         "subject", "attributes", "replayed"}.
#include <iostream>
#include <iterator>
#include <string>

#include "common/error.hpp"
#include "net/http_client.hpp"
#include "trust/aws_role_trust_provider.hpp"

namespace {
int report(const std::string& stage, const tessera::Error& e, bool replayed) {
  std::cout << nlohmann::json{{"stage", stage},
                              {"ok", false},
                              {"code", std::string(tessera::errorCodeName(e.code))},
                              {"message", e.message},
                              {"replayed", replayed}}
                   .dump()
            << "\n";
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace tessera;
  if (argc != 3) {
    std::cerr << "usage: aws_role_tool SERVER_ID SPEC_JSON < request.json\n";
    return 2;
  }
  const std::string input{std::istreambuf_iterator<char>(std::cin),
                          std::istreambuf_iterator<char>()};
  auto evidence =
      trust::parseEvidence({{"awsGetCallerIdentity", nlohmann::json::parse(input)}}, "/evidence");
  if (!evidence) {
    return report("evidence", evidence.error(), false);
  }
  model::ConfigObject object;
  object.kind = model::Kind::kTrustProvider;
  object.metadata.name = "aws-interop";
  object.spec = nlohmann::json::parse(argv[2]);
  auto compiled = trust::compileTrustProvider(object);
  if (!compiled) {
    std::cerr << compiled.error().describe() << "\n";
    return 2;
  }
  const auto* provider = dynamic_cast<const trust::AwsRoleTrustProvider*>(compiled->get());
  if (provider == nullptr) {
    std::cerr << "not an aws-role provider\n";
    return 2;
  }
  auto replay = provider->prepareReplay(*evidence->awsGetCallerIdentity, argv[1],
                                        SystemClock::instance().now());
  if (!replay) {
    return report("prepare", replay.error(), false);
  }
  auto client = net::HttpClient::create();
  if (!client) {
    std::cerr << client.error().describe() << "\n";
    return 2;
  }
  net::ClientRequest request(replay->method, replay->url);
  for (const auto& [name, value] : replay->headers) {
    request.withHeader(name, value);
  }
  request.body = replay->body;
  request.withTimeout(std::chrono::seconds(10))
      .withMaxResponseBytes(trust::kMaxStsResponseBytes + 1);
  auto response = (*client)->requestBlocking(std::move(request));
  if (!response) {
    return report("replay", response.error(), true);
  }
  auto identity = provider->identityFromResponse(*replay, response->status, response->body);
  if (!identity) {
    return report("identity", identity.error(), true);
  }
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& [name, a] : identity->attributes) {
    attributes[name] = a.value;
  }
  std::cout << nlohmann::json{{"stage", "identity"},
                              {"ok", true},
                              {"subject", identity->subject},
                              {"attributes", attributes},
                              {"replayed", true}}
                   .dump()
            << "\n";
  return 0;
}
