// The PostgreSQL frontend/backend protocol 3.0 on the wire: framing a byte stream into messages
// (MessageReader) and the handful of messages the edge reads or writes while it stands between a
// client and a database — startup, SSL negotiation, authentication, errors. After authentication
// the edge relays bytes and reads nothing. Pure: bytes in, values out; used by src/edge's
// PostgreSQL injector and fuzzed (tests/fuzz/pgwire_fuzz.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace tessera::pgwire {

inline constexpr std::int32_t kProtocolVersion3 = 3 << 16;  // 196608
inline constexpr std::int32_t kSslRequestCode = 80877103;
inline constexpr std::int32_t kGssEncRequestCode = 80877104;
inline constexpr std::int32_t kCancelRequestCode = 80877102;
// PostgreSQL's own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH).
inline constexpr std::size_t kMaxStartupPacketBytes = 10000;
// Messages the edge parses are small (authentication, errors); relayed traffic is not framed.
inline constexpr std::size_t kDefaultMaxMessageBytes = 64 * 1024;

// One message. `type` is 0 for the untyped packets of the startup phase (startup, SSLRequest,
// GSSENCRequest, CancelRequest); `payload` excludes the type byte and the length.
struct Message {
  char type = 0;
  std::string payload;
};

// Frames a byte stream into messages, incrementally and with a size limit. A reader starts in
// the startup phase (untyped packets) when it reads what a client sends first, and switches to
// typed messages with expectTyped() once the startup packet is read.
class MessageReader {
 public:
  enum class Phase { kStartup, kTyped };

  explicit MessageReader(Phase phase, std::size_t maxMessageBytes = kDefaultMaxMessageBytes)
      : phase_(phase), maxMessageBytes_(maxMessageBytes) {}

  // Buffers `bytes` and appends every message they complete. kPgProtocol naming the problem
  // for a length below the minimum or above the limit; the reader is then unusable.
  Result<void> feed(std::string_view bytes, std::vector<Message>& out);
  void expectTyped() { phase_ = Phase::kTyped; }
  // Bytes received after the last complete message (a partial one), e.g. to relay on.
  std::string takeBuffered() { return std::exchange(buffer_, {}); }

 private:
  Phase phase_;
  std::size_t maxMessageBytes_;
  std::string buffer_;
  bool failed_ = false;
};

// What a client may send first.
struct StartupPacket {
  enum class Kind { kStartup, kSslRequest, kGssEncRequest, kCancelRequest };
  Kind kind = Kind::kStartup;
  std::int32_t protocolVersion = 0;
  // Parameters in the order sent ("user", "database", "application_name", "options", ...).
  std::vector<std::pair<std::string, std::string>> parameters;
  std::int32_t cancelProcessId = 0;
  std::int32_t cancelSecretKey = 0;

  // The value of a parameter, if sent.
  std::optional<std::string> parameter(std::string_view name) const;
};

// kPgProtocol for anything but protocol 3.x startup (with a "user"), SSLRequest, GSSENCRequest
// and CancelRequest; the message names what is wrong.
Result<StartupPacket> parseStartupPacket(const Message& message);
std::string encodeStartupMessage(const std::vector<std::pair<std::string, std::string>>& params);
std::string encodeSslRequest();

// An Authentication ('R') message from a server.
struct Authentication {
  enum class Kind { kOk, kCleartextPassword, kMd5Password, kSasl, kSaslContinue, kSaslFinal };
  Kind kind = Kind::kOk;
  std::string md5Salt;                  // 4 bytes, kMd5Password
  std::vector<std::string> mechanisms;  // kSasl
  std::string data;                     // kSaslContinue, kSaslFinal
};
// kPgProtocol for a malformed message, and for methods the edge does not perform (Kerberos,
// GSSAPI, SSPI), named.
Result<Authentication> parseAuthentication(const Message& message);

// The fields of an ErrorResponse ('E') or NoticeResponse ('N') that the edge reports.
struct ServerError {
  std::string severity;  // the non-localized one (V) when present, else S
  std::string code;      // SQLSTATE, e.g. 28P01
  std::string message;
  std::string detail;
  std::string hint;
};
Result<ServerError> parseErrorResponse(const Message& message);

// Messages the edge writes.
std::string encodeMessage(char type, std::string_view payload);
std::string encodePasswordMessage(std::string_view password);  // cleartext or "md5..."
std::string encodeSaslInitialResponse(std::string_view mechanism, std::string_view data);
std::string encodeSaslResponse(std::string_view data);
std::string encodeAuthenticationOk();
// An ErrorResponse with severity FATAL: what an unauthorized client reads instead of a dropped
// socket. Values are truncated to keep the message small; NULs are dropped.
std::string encodeFatalError(std::string_view sqlstate, std::string_view message,
                             std::string_view detail = {});

}  // namespace tessera::pgwire
