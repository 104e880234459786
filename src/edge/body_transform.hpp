// BodyTransform: a streaming rewrite of a request body that the proxy applies between the client
// and the server (the SigV4 re-signer re-signs aws-chunked uploads chunk by chunk with it).
// Called by the proxy with the bytes as they arrive; never buffers more than one chunk.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tessera::edge {

class BodyTransform {
 public:
  virtual ~BodyTransform() = default;
  // Consumes `in` (any split of the body) and appends what to send upstream to `out`.
  virtual Result<void> feed(std::string_view in, std::string& out) = 0;
  // The body has ended; appends the rest. Errors when the body ended early or was malformed.
  virtual Result<void> finish(std::string& out) = 0;
};

}  // namespace tessera::edge
