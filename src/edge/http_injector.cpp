#include "edge/http_injector.hpp"

#include <span>

#include "crypto/digest.hpp"

namespace tessera::edge {

namespace {
Error cannotInject(const Grant& grant) {
  return Error{ErrorCode::kConfigInvalid, "a " + grant.credentialType +
                                              " credential cannot be injected with method " +
                                              grant.injection.method};
}

std::string base64(std::string_view text) {
  return crypto::base64Encode(
      std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

Result<sigv4::Credentials> awsCredentials(const Grant& grant) {
  const auto keyId = grant.field("accessKeyId");
  const auto secret = grant.field("secretAccessKey");
  if (!keyId || !secret) {
    return cannotInject(grant);
  }
  return sigv4::Credentials{std::string(*keyId), std::string(*secret),
                            std::string(grant.field("sessionToken").value_or(""))};
}

// Replaces every `name` parameter of the target's query by one carrying `value`. Other
// parameters keep their exact bytes, so a signature over them (if any) stays valid.
Result<void> replaceQueryParameter(RequestHead& head, std::string_view name,
                                   std::string_view value) {
  const auto question = head.target.find('?');
  std::string path = head.target.substr(0, question);
  std::string query = question == std::string::npos ? "" : head.target.substr(question + 1);
  std::string kept;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) {
      end = query.size();
    }
    const std::string_view pair = std::string_view(query).substr(start, end - start);
    const auto rawName = pair.substr(0, pair.find('='));
    const auto decoded = net::percentDecode(rawName, true);
    if (!decoded) {
      return Error{ErrorCode::kInvalidArgument, "the request's query has a malformed escape"};
    }
    if (*decoded != name && !pair.empty()) {
      if (!kept.empty()) {
        kept += '&';
      }
      kept += pair;
    }
    start = end + 1;
  }
  if (!kept.empty()) {
    kept += '&';
  }
  kept += net::percentEncode(name) + "=" + net::percentEncode(value);
  head.target = path + "?" + kept;
  return {};
}
}  // namespace

Result<ResignResult> injectHttp(RequestHead& head, const Grant& grant, SystemTime now) {
  const auto& method = grant.injection.method;
  if (method == "none") {
    return ResignResult{};
  }
  if (method == "aws-sigv4") {
    auto credentials = awsCredentials(grant);
    if (!credentials) {
      return std::move(credentials).error();
    }
    return resignSigV4(head, *credentials, now);
  }
  if (method == "basic") {
    const auto user = grant.field("username");
    const auto password = grant.field("password");
    if (!user || !password) {
      return cannotInject(grant);
    }
    head.headers.set("Authorization",
                     "Basic " + base64(std::string(*user) + ":" + std::string(*password)));
    return ResignResult{};
  }
  const auto secret = grant.secretValue();
  if (!secret) {
    return cannotInject(grant);
  }
  if (method == "bearer") {
    head.headers.set("Authorization", "Bearer " + std::string(*secret));
  } else if (method == "header") {
    if (grant.injection.header.empty()) {
      return Error{ErrorCode::kConfigInvalid, "method header needs a header name"};
    }
    head.headers.set(grant.injection.header, grant.injection.prefix + std::string(*secret));
  } else if (method == "query") {
    if (grant.injection.parameter.empty()) {
      return Error{ErrorCode::kConfigInvalid, "method query needs a parameter name"};
    }
    TESSERA_RETURN_IF_ERROR(replaceQueryParameter(head, grant.injection.parameter, *secret));
  } else {
    return Error{ErrorCode::kConfigInvalid,
                 "method " + method + " cannot be injected into HTTP requests"};
  }
  return ResignResult{};
}

Result<void> injectHttpWithBody(RequestHead& head, std::string_view body, const Grant& grant,
                                SystemTime now) {
  auto credentials = awsCredentials(grant);
  if (!credentials) {
    return std::move(credentials).error();
  }
  return resignSigV4WithBody(head, body, *credentials, now);
}

}  // namespace tessera::edge
