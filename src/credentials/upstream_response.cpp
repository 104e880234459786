#include "credentials/upstream_response.hpp"

#include "jose/json_strict.hpp"
#include "jose/quote.hpp"
#include "net/url.hpp"

namespace tessera::credentials {

bool retryHelps(const Error& error) noexcept {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kTooManyRequests;
}

std::string quoteUpstream(std::string_view text, std::size_t max) {
  return jose::detail::quoteForMessage(text, max);
}

const UpstreamMeaning* findMeaning(std::span<const UpstreamMeaning> table,
                                   std::string_view code) noexcept {
  for (const auto& meaning : table) {
    if (meaning.code == code) {
      return &meaning;
    }
  }
  return nullptr;
}

UpstreamMeaning meaningOf(std::span<const UpstreamMeaning> table, std::string_view code,
                          int httpStatus) noexcept {
  const UpstreamMeaning* known = findMeaning(table, code);
  UpstreamMeaning out =
      known != nullptr
          ? *known
          : UpstreamMeaning{code,
                            httpStatus == 401 || httpStatus == 403 ? ErrorCode::kPermissionDenied
                                                                   : ErrorCode::kHttpUpstream,
                            "an error code this version of Tessera does not know"};
  if (httpStatus == 429) {
    out.errorCode = ErrorCode::kTooManyRequests;
  } else if (httpStatus >= 500 && httpStatus <= 599) {
    out.errorCode = ErrorCode::kUnavailable;
  }
  return out;
}

Error unexplainedStatus(std::string_view service, int status) {
  const std::string what = std::string(service) + " answered HTTP " + std::to_string(status);
  if (status == 429) {
    return makeError(ErrorCode::kTooManyRequests, what + " (throttled); retry later");
  }
  if (status >= 500 && status <= 599) {
    return makeError(ErrorCode::kUnavailable, what + "; retry later");
  }
  return makeError(ErrorCode::kHttpUpstream, what + " without an error body it defines");
}

Result<nlohmann::json> parseJsonObject(std::string_view service, std::string_view body) {
  auto parsed = jose::parseStrictJson(body, {.maxBytes = kMaxUpstreamBodyBytes, .maxDepth = 16});
  if (!parsed) {
    return makeError(ErrorCode::kHttpUpstream, std::string(service) +
                                                   " answered a body that is not valid JSON (" +
                                                   parsed.error().message + ")");
  }
  if (!parsed->is_object()) {
    return makeError(ErrorCode::kHttpUpstream,
                     std::string(service) + " answered JSON that is not an object");
  }
  return std::move(*parsed);
}

Result<void> checkEndpoint(std::string_view service, std::string_view url) {
  auto parsed = net::parseUrl(url);
  if (!parsed) {
    return makeError(ErrorCode::kConfigInvalid, std::string(service) + " endpoint " +
                                                    quoteUpstream(url, 200) + ": " +
                                                    parsed.error().message);
  }
  if (!parsed->https() && !parsed->loopback()) {
    return makeError(ErrorCode::kConfigInvalid,
                     std::string(service) + " endpoint " + quoteUpstream(url, 200) +
                         " must use https (plain http only on a loopback address)");
  }
  return {};
}

namespace {

Result<std::string> readString(std::string_view service, const nlohmann::json& object,
                               std::string_view name, std::size_t maxBytes, bool required) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (required) {
      return makeError(ErrorCode::kHttpUpstream,
                       std::string(service) + " answered without \"" + std::string(name) + "\"");
    }
    return std::string();
  }
  if (!it->is_string()) {
    return makeError(ErrorCode::kHttpUpstream, std::string(service) + " answered a \"" +
                                                   std::string(name) + "\" that is not a string");
  }
  const auto& value = it->get_ref<const std::string&>();
  if (value.size() > maxBytes) {
    return makeError(ErrorCode::kHttpUpstream,
                     std::string(service) + " answered a \"" + std::string(name) + "\" of " +
                         std::to_string(value.size()) + " bytes, over the limit of " +
                         std::to_string(maxBytes));
  }
  if (required && value.empty()) {
    return makeError(ErrorCode::kHttpUpstream,
                     std::string(service) + " answered an empty \"" + std::string(name) + "\"");
  }
  return value;
}

}  // namespace

Result<std::string> optionalString(std::string_view service, const nlohmann::json& object,
                                   std::string_view name, std::size_t maxBytes) {
  return readString(service, object, name, maxBytes, false);
}

Result<std::string> requiredString(std::string_view service, const nlohmann::json& object,
                                   std::string_view name, std::size_t maxBytes) {
  return readString(service, object, name, maxBytes, true);
}

}  // namespace tessera::credentials
