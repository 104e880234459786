// TLS ClientHello sniffing for the edge's transparent listener: given the first bytes a workload
// sent to a redirected connection, says whether they are TLS at all, whether more bytes are
// needed, and which server name (SNI) the client asked for — so the edge can decide between
// decrypting (a server workload wants it for that host) and tunneling untouched. Pure and bounded:
// bytes in, verdict out; nothing is allocated beyond the returned name. The bytes are not
// consumed: the caller hands the same buffer to the TLS handshake or the tunnel afterwards.
// Called by HttpProxy (transparent sessions); fuzzed by tests/fuzz/tls_client_hello_fuzz.cpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tessera::edge {

// A ClientHello larger than this (across however many records) is refused: real ones are a few
// hundred bytes, a couple of KiB with post-quantum key shares.
inline constexpr std::size_t kMaxClientHelloBytes = 16 * 1024;

enum class ClientHelloStatus {
  kNeedMore,  // a TLS handshake record, the ClientHello not complete yet: read more
  kNotTls,    // the first byte is not a TLS handshake record: treat as plaintext
  kComplete,  // a whole ClientHello; serverName filled when it carries SNI
};

struct ClientHelloInfo {
  ClientHelloStatus status = ClientHelloStatus::kNeedMore;
  // The first host_name in server_name, lower-cased; absent without SNI (clients connecting to
  // an IP literal send none).
  std::optional<std::string> serverName;
};

// Looks at `bytes` (what has arrived so far). kInvalidArgument naming the problem when they are
// a TLS record but not a well-formed ClientHello (wrong handshake type, lengths that disagree,
// a malformed server_name extension, an invalid host name) or when the ClientHello exceeds
// kMaxClientHelloBytes.
Result<ClientHelloInfo> parseClientHello(std::string_view bytes);

}  // namespace tessera::edge
