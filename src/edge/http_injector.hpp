// HTTP injection: puts a grant's credential on a request the edge forwards — bearer, a custom
// header (with an optional prefix), a query parameter, HTTP Basic, or AWS SigV4 re-signing —
// replacing whatever the client sent in that place. Pure. Called by the HTTP proxy once per
// request to a server workload.
#pragma once

#include "common/clock.hpp"
#include "common/result.hpp"
#include "edge/grant.hpp"
#include "edge/http_head.hpp"
#include "edge/sigv4_resigner.hpp"

namespace tessera::edge {

// Rewrites `head` for grant.injection.method. For aws-sigv4 the result may carry a body
// transform (streaming uploads). kConfigInvalid when the credential type cannot be put on the
// wire that way (e.g. an AWS credential for method bearer); kInvalidArgument when the request
// cannot take it (a SigV4 method and no AWS signature to replace, a malformed query).
Result<ResignResult> injectHttp(RequestHead& head, const Grant& grant, SystemTime now);

// The second step when injectHttp answered needsBody (SigV4 for services that sign the body's
// hash): re-signs `head` over the whole `body`. kPayloadTooLarge beyond kMaxHashedBodyBytes.
Result<void> injectHttpWithBody(RequestHead& head, std::string_view body, const Grant& grant,
                                SystemTime now);

}  // namespace tessera::edge
