// Test-only helper for credentials_wire_interop_test.py: runs one federated exchange the way a
// credential provider will, with the src/credentials wire codecs, jose::signJwt and
// net::HttpClient against a stand-in, and prints what happened.
//   credentials_wire_tool < {"provider": "aws"|"gcp"|"entra", "privateKeyPem", "kid", "issuer",
//                            "subject", ...provider fields}
// prints {"ok": true, ...what the codec read} or {"ok": false, "stage": "build"|"send"|"read",
// "code", "message", "retryable"}. Secrets are printed as fingerprints only.
#include <iostream>
#include <iterator>
#include <string>

#include "common/error.hpp"
#include "common/time_format.hpp"
#include "credentials/aws_sts_wire.hpp"
#include "credentials/entra_wire.hpp"
#include "credentials/gcp_sts_wire.hpp"
#include "credentials/upstream_response.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "jose/jwt.hpp"
#include "net/http_client.hpp"

namespace {

using namespace tessera;
using namespace tessera::credentials;
using nlohmann::json;

int report(std::string_view stage, const Error& e) {
  std::cout << json{{"ok", false},
                    {"stage", stage},
                    {"code", std::string(errorCodeName(e.code))},
                    {"message", e.message},
                    {"retryable", retryHelps(e)}}
                   .dump()
            << "\n";
  return 0;
}

Result<std::string> sign(const json& in, Result<json> claims) {
  if (!claims) {
    return std::move(claims).error();
  }
  TESSERA_DECLARE_OR_RETURN(
      const jose::Jwk pem,
      jose::Jwk::fromPem(in.at("privateKeyPem").get<std::string>(), {.allowPrivate = true}));
  // The kid the local issuer's JWKS publishes the key under.
  const jose::Jwk key = pem.withKid(in.at("kid").get<std::string>());
  return jose::signJwt(key, jose::Algorithm::kRs256, *claims);
}

// Sends a built request; the HTTP status and body go to the codec's reader.
Result<net::ClientResponse> send(net::HttpClient& client, Result<net::ClientRequest> request,
                                 std::string_view& stage) {
  stage = "build";
  if (!request) {
    return std::move(request).error();
  }
  stage = "send";
  auto response = client.requestBlocking(std::move(*request));
  stage = "read";
  return response;
}

int runAws(net::HttpClient& client, const json& in, SystemTime now) {
  std::string_view stage = "sign";
  auto token = sign(in, awsWebIdentityTokenClaims(in.at("issuer").get<std::string>(),
                                                  in.at("subject").get<std::string>(), now));
  if (!token) {
    return report(stage, token.error());
  }
  AssumeRoleWithWebIdentityRequest request{
      .endpoint = in.at("endpoint").get<std::string>(),
      .roleArn = in.at("roleArn").get<std::string>(),
      .roleSessionName = deriveRoleSessionName(in.at("subject").get<std::string>()),
      .webIdentityToken = *token,
      .duration = Seconds(in.value("durationSeconds", 900))};
  auto response = send(client, buildAssumeRoleWithWebIdentity(request), stage);
  if (!response) {
    return report(stage, response.error());
  }
  auto creds = readAssumeRoleWithWebIdentityResponse(response->status, response->body);
  if (!creds) {
    return report(stage, creds.error());
  }
  std::cout << json{{"ok", true},
                    {"accessKeyId", creds->accessKeyId},
                    {"secretAccessKey", crypto::fingerprint(creds->secretAccessKey)},
                    {"sessionToken", crypto::fingerprint(creds->sessionToken)},
                    {"expiration", formatRfc3339(creds->expiration)},
                    {"assumedRoleArn", creds->assumedRoleArn},
                    {"roleSessionName", request.roleSessionName},
                    {"subjectFromWebIdentityToken", creds->subjectFromWebIdentityToken},
                    {"audience", creds->audience},
                    {"provider", creds->provider}}
                   .dump()
            << "\n";
  return 0;
}

int runGcp(net::HttpClient& client, const json& in, SystemTime now) {
  std::string_view stage = "sign";
  const std::string audience = in.at("audience").get<std::string>();
  auto token = sign(in, gcpSubjectTokenClaims(in.at("issuer").get<std::string>(),
                                              in.at("subject").get<std::string>(),
                                              gcpDefaultSubjectTokenAudience(audience), now));
  if (!token) {
    return report(stage, token.error());
  }
  auto response = send(client,
                       buildGcpStsExchange({.endpoint = in.at("stsEndpoint").get<std::string>(),
                                            .audience = audience,
                                            .subjectToken = *token}),
                       stage);
  if (!response) {
    return report(stage, response.error());
  }
  auto federated = readGcpStsResponse(response->status, response->body);
  if (!federated) {
    return report(stage, federated.error());
  }
  response =
      send(client,
           buildGenerateAccessToken({.endpointBase = in.at("iamBase").get<std::string>(),
                                     .serviceAccount = in.at("serviceAccount").get<std::string>(),
                                     .federatedToken = federated->accessToken,
                                     .lifetime = Seconds(in.value("lifetimeSeconds", 3600))}),
           stage);
  if (!response) {
    return report(stage, response.error());
  }
  auto token2 = readGenerateAccessTokenResponse(response->status, response->body);
  if (!token2) {
    return report(stage, token2.error());
  }
  std::cout << json{{"ok", true},
                    {"federatedExpiresIn", federated->expiresIn.value_or(-1)},
                    {"accessToken", token2->accessToken},
                    {"expireTime", formatRfc3339(token2->expireTime)}}
                   .dump()
            << "\n";
  return 0;
}

int runEntra(net::HttpClient& client, const json& in, SystemTime now) {
  std::string_view stage = "sign";
  auto assertion = sign(
      in, entraAssertionClaims(in.at("issuer").get<std::string>(),
                               in.at("subject").get<std::string>(), crypto::randomToken(16), now));
  if (!assertion) {
    return report(stage, assertion.error());
  }
  auto response =
      send(client,
           buildEntraTokenRequest({.authorityHost = in.at("authority").get<std::string>(),
                                   .tenant = in.at("tenant").get<std::string>(),
                                   .clientId = in.at("clientId").get<std::string>(),
                                   .scope = in.at("scope").get<std::string>(),
                                   .clientAssertion = *assertion}),
           stage);
  if (!response) {
    return report(stage, response.error());
  }
  auto token = readEntraTokenResponse(response->status, response->body);
  if (!token) {
    return report(stage, token.error());
  }
  std::cout << json{{"ok", true},
                    {"tokenType", token->tokenType},
                    {"expiresIn", token->expiresIn.value_or(-1)},
                    {"accessToken", token->accessToken}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace

int main() {
  const std::string input{std::istreambuf_iterator<char>(std::cin),
                          std::istreambuf_iterator<char>()};
  const json in = json::parse(input);
  auto client = net::HttpClient::create();
  if (!client) {
    std::cerr << client.error().describe() << "\n";
    return 2;
  }
  const auto now = SystemClock::instance().now();
  const std::string provider = in.at("provider").get<std::string>();
  if (provider == "aws") {
    return runAws(**client, in, now);
  }
  if (provider == "gcp") {
    return runGcp(**client, in, now);
  }
  if (provider == "entra") {
    return runEntra(**client, in, now);
  }
  std::cerr << "unknown provider " << provider << "\n";
  return 2;
}
