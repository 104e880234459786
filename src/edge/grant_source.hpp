// GrantSource: where listeners get the grant for a connection. The edge's implementation asks the
// hub (with evidence) and caches; tests of a single injector may use a fixed one. Called by the
// HTTP proxy, the PostgreSQL listener and the metadata emulators.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>

#include "common/result.hpp"
#include "edge/grant.hpp"

namespace tessera::edge {

class GrantSource {
 public:
  virtual ~GrantSource() = default;
  // The grant for `target`, fresh enough to use now. Errors (fail closed: no grant, no
  // credential): kPermissionDenied when the hub refused (message carries the reason),
  // kUnavailable when the hub cannot be reached and no valid grant is held, kNotFound when no
  // server workload is configured for the target.
  virtual boost::asio::awaitable<Result<std::shared_ptr<const Grant>>> grantFor(
      Target target, ClientContext context) = 0;

  // The grant for `target` when one is held and needs no refresh yet, else null (then call
  // grantFor). Lets a listener skip the coroutine on its hot path; counts as a hit.
  virtual std::shared_ptr<const Grant> heldGrant(const Target& /*target*/,
                                                 const ClientContext& /*context*/) {
    return nullptr;
  }
};

}  // namespace tessera::edge
