// Sending one request to a cloud's or an authorization server's endpoint on behalf of a credential
// provider: the answer read by the provider's codec, and retried (up to three attempts, with
// doubling delays) only while the codec's classification says retrying helps (retryHelps in
// upstream_response.hpp). Called by the federated credential providers (aws-sts,
// gcp-workload-identity, azure-entra-federation, oauth-client-credentials).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/result.hpp"
#include "credentials/upstream_response.hpp"
#include "net/http_client.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 at -O2 reports the coroutine frame's sized delete in callUpstream as mismatched (a
// false positive; see hub/access_service.cpp). The template is instantiated in every provider
// that includes this header, before their own pragmas, so it is silenced here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace tessera::credentials {

// Attempts in all when the upstream says retrying helps (throttling, 5xx, its own "try again"
// codes), with doubling delays from the first.
inline constexpr int kMaxUpstreamAttempts = 3;
inline constexpr std::chrono::milliseconds kFirstUpstreamRetryDelay{200};

// A codec's reader of a whole answer: (HTTP status, body) -> the result or the classified error.
template <typename T>
using UpstreamReader = Result<T> (*)(int httpStatus, std::string_view body);

// Builds a request per attempt (a provider whose request carries a one-time assertion signs a
// fresh one each time), sends it (its answer capped at kMaxUpstreamBodyBytes) and reads the
// answer with `read`; an unreachable upstream is kUnavailable naming `service`. Returns the first
// success, the builder's error, or the last upstream error. `http` must outlive the call.
template <typename T>
boost::asio::awaitable<Result<T>> callUpstream(net::HttpClient& http, std::string service,
                                               std::function<Result<net::ClientRequest>()> build,
                                               UpstreamReader<T> read) {
  auto delay = kFirstUpstreamRetryDelay;
  Error last{ErrorCode::kUnavailable, service + " was not called"};
  for (int attempt = 1; attempt <= kMaxUpstreamAttempts; ++attempt) {
    auto built = build();
    if (!built) {
      co_return built.error();
    }
    net::ClientRequest request = std::move(*built);
    request.maxResponseBytes = kMaxUpstreamBodyBytes;
    const std::string url = request.url;
    auto response = co_await http.request(std::move(request));
    if (response) {
      Result<T> answer = read(response->status, response->body);
      if (answer) {
        co_return answer;
      }
      last = answer.error();
    } else {
      last = Error{ErrorCode::kUnavailable,
                   service + " at " + url + " could not be reached: " + response.error().message};
    }
    if (!retryHelps(last) || attempt == kMaxUpstreamAttempts) {
      break;
    }
    boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor, delay);
    co_await pause.async_wait(boost::asio::use_awaitable);
    delay *= 2;
  }
  co_return last;
}

// The same request on every attempt.
template <typename T>
boost::asio::awaitable<Result<T>> callUpstream(net::HttpClient& http, std::string service,
                                               net::ClientRequest request, UpstreamReader<T> read) {
  // A named builder, not a temporary across the suspension (ADR 0001).
  std::function<Result<net::ClientRequest>()> build = [request = std::move(request)] {
    return Result<net::ClientRequest>(request);
  };
  co_return co_await callUpstream<T>(http, std::move(service), std::move(build), read);
}

}  // namespace tessera::credentials
