#include "hub/token_endpoint.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "conditions/network_condition.hpp"
#include "crypto/digest.hpp"
#include "hub/issuer_routes.hpp"
#include "net/url.hpp"
#include "policy/decision.hpp"

namespace tessera::hub {

namespace {
using nlohmann::json;

OAuthError invalidRequest(std::string description) {
  return {"invalid_request", std::move(description), 400};
}

bool isSubjectTokenType(std::string_view type) {
  // Trust providers verify JWTs; an OAuth access token is accepted only when it is a JWT a trust
  // provider verifies (GitLab and some IdPs hand those out), so the three types mean the same.
  return type == kJwtTokenType || type == kIdTokenType || type == kAccessTokenType;
}

// Refusals of the subject token itself (invalid_grant) versus refusals of the workload it proves
// (unauthorized_client): the reason code of the step that decided.
bool isEvidenceRefusal(std::string_view code) {
  return code == policy::reason::kNoDataFound || code == policy::reason::kInvalidEvidence ||
         code == policy::reason::kInvalidSignature || code == policy::reason::kExpired ||
         code == policy::reason::kClaimRejected;
}

}  // namespace

std::variant<TokenExchangeRequest, OAuthError> parseTokenExchangeRequest(
    std::string_view contentType, std::string_view body) {
  const auto semicolon = contentType.find(';');
  std::string mediaType(contentType.substr(0, semicolon));
  std::transform(mediaType.begin(), mediaType.end(), mediaType.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!mediaType.empty() && mediaType.back() == ' ') {
    mediaType.pop_back();
  }
  if (mediaType != "application/x-www-form-urlencoded") {
    return invalidRequest("the body must be application/x-www-form-urlencoded");
  }
  if (body.size() > kMaxTokenRequestBytes) {
    return invalidRequest("the body is larger than " + std::to_string(kMaxTokenRequestBytes) +
                          " bytes");
  }
  const auto params = net::parseQuery(body);
  if (!params) {
    return invalidRequest("the body is not a valid form encoding");
  }
  TokenExchangeRequest request;
  std::optional<std::string> grantType;
  std::optional<std::string> subjectToken;
  std::optional<std::string> subjectTokenType;
  std::optional<std::string> actorToken;
  std::optional<std::string> actorTokenType;
  for (const auto& [name, value] : *params) {
    if (name != "subject_token" && value.size() > kMaxTokenParamBytes) {
      return invalidRequest(name + " is longer than " + std::to_string(kMaxTokenParamBytes) +
                            " bytes");
    }
    std::optional<std::string>* single = nullptr;
    if (name == "grant_type") {
      single = &grantType;
    } else if (name == "subject_token") {
      single = &subjectToken;
    } else if (name == "subject_token_type") {
      single = &subjectTokenType;
    } else if (name == "requested_token_type") {
      single = &request.requestedTokenType;
    } else if (name == "actor_token") {
      single = &actorToken;
    } else if (name == "actor_token_type") {
      single = &actorTokenType;
    } else if (name == "audience" || name == "resource") {
      auto& list = name == "audience" ? request.audiences : request.resources;
      if (value.empty()) {
        return invalidRequest(name + " must not be empty");
      }
      list.push_back(value);
      continue;
    } else {
      continue;  // RFC 6749 §3.2: unknown parameters are ignored (scope, client_id...)
    }
    if (single->has_value()) {
      return invalidRequest(name + " appears more than once");
    }
    *single = value;
  }
  if (!grantType) {
    return invalidRequest("grant_type is required");
  }
  if (*grantType != kTokenExchangeGrantType) {
    return OAuthError{"unsupported_grant_type",
                      "only " + std::string(kTokenExchangeGrantType) + " is supported", 400};
  }
  if (!subjectToken || subjectToken->empty()) {
    return invalidRequest("subject_token is required");
  }
  if (subjectToken->size() > trust::kMaxEvidenceTokenBytes) {
    return invalidRequest("subject_token is longer than " +
                          std::to_string(trust::kMaxEvidenceTokenBytes) + " bytes");
  }
  if (!subjectTokenType) {
    return invalidRequest("subject_token_type is required");
  }
  if (!isSubjectTokenType(*subjectTokenType)) {
    return invalidRequest("subject_token_type must be " + std::string(kJwtTokenType) + ", " +
                          std::string(kIdTokenType) + " or " + std::string(kAccessTokenType));
  }
  if (actorToken || actorTokenType) {
    return invalidRequest("actor_token is not supported: the subject acts for itself");
  }
  if (request.requestedTokenType && *request.requestedTokenType != kJwtTokenType &&
      *request.requestedTokenType != kIdTokenType &&
      *request.requestedTokenType != kAccessTokenType &&
      *request.requestedTokenType != kTesseraCredentialType) {
    return invalidRequest("requested_token_type is not a type this endpoint issues");
  }
  if (request.audiences.size() + request.resources.size() == 0) {
    return invalidRequest("audience or resource must name the server workload");
  }
  if (request.audiences.size() + request.resources.size() > 1) {
    // One exchange, one decision, one credential.
    return invalidRequest("name exactly one server workload (one audience or resource)");
  }
  request.subjectToken = std::move(*subjectToken);
  request.subjectTokenType = std::move(*subjectTokenType);
  return request;
}

std::optional<policy::Target> tokenExchangeTarget(const model::ConfigSnapshot& snapshot,
                                                  const std::string& identifier) {
  if (identifier.find("://") != std::string::npos) {
    auto url = net::parseUrl(identifier);
    if (!url || (url->target != "/" && !url->target.empty())) {
      return std::nullopt;
    }
    return policy::Target{url->host, url->port, "http"};
  }
  const auto* object = snapshot.find(model::Kind::kServerWorkload, identifier);
  if (object == nullptr) {
    return std::nullopt;
  }
  const auto& spec = object->spec;
  const auto host = spec.find("host");
  if (host == spec.end() || !host->is_string()) {
    return std::nullopt;
  }
  policy::Target target;
  target.host = host->get<std::string>();
  if (target.host.find_first_of("*?[") != std::string::npos) {
    return std::nullopt;  // a pattern names no one host: the caller must give a URL
  }
  target.port = static_cast<std::uint16_t>(spec.value("port", 443));
  target.protocol = spec.value("protocol", std::string("http"));
  return target;
}

json tokenExchangeAnswer(const AccessOutcome& outcome, SystemTime now) {
  const auto& credential = outcome.grant->credential;
  const auto expiresIn = std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(credential.expiresAt - now).count());
  json answer = {{"expires_in", expiresIn},
                 {"tessera_credential", credential.toJson()},
                 {"tessera_context_id", outcome.contextId}};
  const auto field = [&](const char* name) -> const std::string* {
    const auto it = credential.fields.find(name);
    return it == credential.fields.end() ? nullptr : &it->second;
  };
  if (credential.type == "id-token" && field("token") != nullptr) {
    answer["access_token"] = *field("token");
    answer["issued_token_type"] = std::string(kJwtTokenType);
    answer["token_type"] = "Bearer";
  } else if (const auto* token = field("accessToken"); token != nullptr) {
    answer["access_token"] = *token;
    answer["issued_token_type"] = std::string(kAccessTokenType);
    answer["token_type"] = "Bearer";
  } else if (const auto* bearer = field("token"); bearer != nullptr) {
    answer["access_token"] = *bearer;
    answer["issued_token_type"] = std::string(kAccessTokenType);
    answer["token_type"] = "Bearer";
  } else {
    // AWS keys, username and password, API keys: no single token; the credential is in
    // tessera_credential.
    answer["access_token"] = "N_A";
    answer["issued_token_type"] = std::string(kTesseraCredentialType);
    answer["token_type"] = "N_A";
  }
  return answer;
}

net::Response oauthErrorResponse(const OAuthError& error) {
  auto response = net::jsonResponse(
      error.status, {{"error", error.error}, {"error_description", error.description}});
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("Pragma", "no-cache");
  return response;
}

namespace {
boost::asio::awaitable<net::Response> handleToken(AccessService& access, const Clock& clock,
                                                  net::Request& request) {
  auto parsed =
      parseTokenExchangeRequest(request.header("Content-Type").value_or(""), request.body);
  if (const auto* error = std::get_if<OAuthError>(&parsed)) {
    co_return oauthErrorResponse(*error);
  }
  auto& exchange = std::get<TokenExchangeRequest>(parsed);
  const std::string identifier =
      exchange.audiences.empty() ? exchange.resources.front() : exchange.audiences.front();
  const auto snapshot = access.config().snapshot();
  const auto target = tokenExchangeTarget(*snapshot, identifier);
  if (!target) {
    co_return oauthErrorResponse({"invalid_target",
                                  "no server workload is named by " + identifier +
                                      " (give a server workload's name, or https://host[:port])",
                                  400});
  }
  AccessRequest decisionRequest;
  decisionRequest.target = *target;
  decisionRequest.evidence.tokens.push_back(std::move(exchange.subjectToken));
  if (conditions::parseIpAddress(request.remoteAddress)) {
    decisionRequest.sourceIp = request.remoteAddress;
    decisionRequest.context.insert_or_assign(
        "sourceIp", trust::Attribute{request.remoteAddress, false, "context"});
  }
  const auto fingerprint = crypto::fingerprint(decisionRequest.evidence.tokens.front());
  auto outcome = co_await access.decide(std::move(decisionRequest), "oauth:token-exchange", true);
  const auto& decision = outcome.decision;
  spdlog::info("token exchange for {}: {} ({}), subject token {}, context {}", identifier,
               policy::outcomeName(decision.outcome), decision.reasonCode, fingerprint,
               outcome.contextId);
  const std::string where = " (access event " + outcome.contextId + ")";
  if (decision.outcome == policy::Outcome::kAuthorized && outcome.grant) {
    auto response = net::jsonResponse(200, tokenExchangeAnswer(outcome, clock.now()));
    response.headers.set("Cache-Control", "no-store");
    response.headers.set("Pragma", "no-cache");
    co_return response;
  }
  if (decision.serverWorkload.empty()) {
    co_return oauthErrorResponse(
        {"invalid_target", "no server workload matches " + identifier + where, 400});
  }
  if (decision.outcome == policy::Outcome::kError) {
    co_return oauthErrorResponse({"temporarily_unavailable", decision.reason + where, 503});
  }
  if (isEvidenceRefusal(decision.reasonCode)) {
    co_return oauthErrorResponse(
        {"invalid_grant", decision.reasonCode + ": " + decision.reason + where, 400});
  }
  co_return oauthErrorResponse(
      {"unauthorized_client", decision.reasonCode + ": " + decision.reason + where, 400});
}
}  // namespace

void addTokenEndpoint(net::Router& router, const std::string& issuer, AccessService& access,
                      const Clock& clock) {
  net::RouteOptions options;
  options.maxBodyBytes = kMaxTokenRequestBytes;
  router.post(issuerPathPrefix(issuer) + "/token",
              net::Handler([&access, &clock](net::Request& request) {
                return handleToken(access, clock, request);
              }),
              options);
}

}  // namespace tessera::hub
