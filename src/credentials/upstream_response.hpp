// What the wire codecs share when they read a cloud's or an authorization server's answer: one
// convention for failures, so that a credential provider decides about retries the same way for
// AWS, Google, Entra and OAuth. Called by the *_wire codecs and by the credential providers.
//
// The convention: a codec turns a refusal into an Error whose code says what to do about it.
//   kUnavailable, kTooManyRequests  the upstream says retrying (with backoff) may help
//   kPermissionDenied               the upstream refused the identity, token or role; retrying the
//                                   same request will not help
//   kConfigInvalid                  the request as configured cannot succeed (bad role ARN,
//                                   policy, scope, audience, tenant...); fix the configuration
//   kHttpUpstream                   the answer was not what the protocol defines
// The message names the service, the upstream's own error code and its (quoted, shortened)
// message, and never contains a credential.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace tessera::credentials {

// Answers larger than this are not read (a token endpoint answers a few KiB).
inline constexpr std::size_t kMaxUpstreamBodyBytes = 64 * 1024;

// True when the upstream said that the same request may succeed later.
bool retryHelps(const Error& error) noexcept;

// Upstream-provided text for a message: quoted, control characters replaced, cut at `max` bytes.
std::string quoteUpstream(std::string_view text, std::size_t max = 300);

// What one upstream error code means: the Error code for the decision and what to check.
struct UpstreamMeaning {
  std::string_view code;
  ErrorCode errorCode = ErrorCode::kHttpUpstream;
  std::string_view hint{};
};

// The entry of `table` for `code`, or nullptr.
const UpstreamMeaning* findMeaning(std::span<const UpstreamMeaning> table,
                                   std::string_view code) noexcept;

// The meaning of `code` in `table`, with the HTTP status having the last word on retries (429 ->
// kTooManyRequests, 5xx -> kUnavailable, whatever the code says). A code the table does not know
// means kPermissionDenied under 401/403 and kHttpUpstream otherwise, with a generic hint.
UpstreamMeaning meaningOf(std::span<const UpstreamMeaning> table, std::string_view code,
                          int httpStatus) noexcept;

// The error for an HTTP status the codec cannot explain from the body: 5xx -> kUnavailable,
// 429 -> kTooManyRequests, anything else -> kHttpUpstream.
Error unexplainedStatus(std::string_view service, int status);

// The body as a JSON object (strict parsing, kMaxUpstreamBodyBytes); kHttpUpstream otherwise.
Result<nlohmann::json> parseJsonObject(std::string_view service, std::string_view body);

// kConfigInvalid unless `url` is an absolute https URL, or http on a loopback host (tests and
// local stand-ins): the requests carry bearer tokens and assertions.
Result<void> checkEndpoint(std::string_view service, std::string_view url);

// Member readers for answers: absent -> "" / nullopt; present with the wrong type -> kHttpUpstream.
Result<std::string> optionalString(std::string_view service, const nlohmann::json& object,
                                   std::string_view name, std::size_t maxBytes = 4096);
Result<std::string> requiredString(std::string_view service, const nlohmann::json& object,
                                   std::string_view name, std::size_t maxBytes = 4096);

}  // namespace tessera::credentials
