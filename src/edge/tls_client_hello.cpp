#include "edge/tls_client_hello.hpp"

#include <algorithm>
#include <cstdint>

namespace tessera::edge {

namespace {
constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kClientHelloType = 1;
constexpr std::uint16_t kServerNameExtension = 0;
constexpr std::uint8_t kHostNameType = 0;
constexpr std::size_t kRecordHeaderBytes = 5;
constexpr std::size_t kMaxRecordPayload = 16384 + 2048;  // TLSPlaintext, with slack for odd peers
constexpr std::size_t kMaxHostNameBytes = 253;

Error malformed(std::string_view what) {
  return Error{ErrorCode::kInvalidArgument, "not a valid TLS ClientHello: " + std::string(what)};
}

// Big-endian reads over a bounded view; every read checks what is left.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  std::size_t left() const { return bytes_.size() - pos_; }
  bool u8(std::size_t& out) { return uint(1, out); }
  bool u16(std::size_t& out) { return uint(2, out); }
  bool u24(std::size_t& out) { return uint(3, out); }
  bool skip(std::size_t n) {
    if (n > left()) {
      return false;
    }
    pos_ += n;
    return true;
  }
  bool take(std::size_t n, std::string_view& out) {
    if (n > left()) {
      return false;
    }
    out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  bool uint(std::size_t width, std::size_t& out) {
    if (width > left()) {
      return false;
    }
    out = 0;
    for (std::size_t i = 0; i < width; ++i) {
      out = (out << 8) | static_cast<std::uint8_t>(bytes_[pos_ + i]);
    }
    pos_ += width;
    return true;
  }
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

// A DNS name as a certificate would carry it: letters, digits, '-', '.', '_'; no empty label.
Result<std::string> hostName(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostNameBytes) {
    return malformed("the server name is empty or too long");
  }
  std::string out;
  out.reserve(name.size());
  char previous = '.';
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok || (c == '.' && previous == '.')) {
      return malformed("the server name is not a host name");
    }
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    previous = c;
  }
  if (out.back() == '.') {
    out.pop_back();  // a fully qualified "example.com." names the same host
  }
  if (out.empty()) {
    return malformed("the server name is not a host name");
  }
  return out;
}

// server_name (RFC 6066 section 3): a list of (type, name); the first host_name counts.
Result<std::optional<std::string>> serverNameExtension(std::string_view data) {
  Reader r(data);
  std::size_t listLength = 0;
  if (!r.u16(listLength) || listLength != r.left() || listLength == 0) {
    return malformed("the server_name list length is wrong");
  }
  while (r.left() > 0) {
    std::size_t type = 0;
    std::size_t length = 0;
    std::string_view name;
    if (!r.u8(type) || !r.u16(length) || !r.take(length, name)) {
      return malformed("a server_name entry is truncated");
    }
    if (type == kHostNameType) {
      auto host = hostName(name);
      if (!host) {
        return std::move(host).error();
      }
      return std::optional<std::string>(std::move(*host));
    }
  }
  return std::optional<std::string>();
}

// The ClientHello body (after the 4-byte handshake header).
Result<ClientHelloInfo> clientHelloBody(std::string_view body) {
  Reader r(body);
  std::size_t length = 0;
  // legacy_version, random, legacy_session_id, cipher_suites, legacy_compression_methods.
  if (!r.skip(2 + 32) || !r.u8(length) || length > 32 || !r.skip(length)) {
    return malformed("the session id is truncated");
  }
  if (!r.u16(length) || length < 2 || length % 2 != 0 || !r.skip(length)) {
    return malformed("the cipher suites are truncated");
  }
  if (!r.u8(length) || length < 1 || !r.skip(length)) {
    return malformed("the compression methods are truncated");
  }
  ClientHelloInfo info;
  info.status = ClientHelloStatus::kComplete;
  if (r.left() == 0) {
    return info;  // no extensions at all (SSLv3-style hello): no SNI
  }
  if (!r.u16(length) || length != r.left()) {
    return malformed("the extensions length is wrong");
  }
  bool seenServerName = false;
  while (r.left() > 0) {
    std::size_t type = 0;
    std::string_view data;
    if (!r.u16(type) || !r.u16(length) || !r.take(length, data)) {
      return malformed("an extension is truncated");
    }
    if (type != kServerNameExtension) {
      continue;
    }
    if (seenServerName) {
      return malformed("server_name appears twice");
    }
    seenServerName = true;
    auto name = serverNameExtension(data);
    if (!name) {
      return std::move(name).error();
    }
    info.serverName = std::move(*name);
  }
  return info;
}
}  // namespace

Result<ClientHelloInfo> parseClientHello(std::string_view bytes) {
  if (bytes.empty()) {
    return ClientHelloInfo{};
  }
  if (static_cast<std::uint8_t>(bytes[0]) != kHandshakeRecord) {
    return ClientHelloInfo{ClientHelloStatus::kNotTls, std::nullopt};
  }
  // The handshake message may span records: join their payloads until the ClientHello's own
  // length is there. Only handshake records may come before it.
  std::string joined;
  std::size_t pos = 0;
  for (;;) {
    if (bytes.size() - pos < kRecordHeaderBytes) {
      return ClientHelloInfo{};
    }
    const auto type = static_cast<std::uint8_t>(bytes[pos]);
    const auto major = static_cast<std::uint8_t>(bytes[pos + 1]);
    const std::size_t recordLength =
        (static_cast<std::size_t>(static_cast<std::uint8_t>(bytes[pos + 3])) << 8) |
        static_cast<std::uint8_t>(bytes[pos + 4]);
    if (type != kHandshakeRecord || major != 3) {
      return malformed("a record before the end of the ClientHello is not a TLS handshake record");
    }
    if (recordLength == 0 || recordLength > kMaxRecordPayload) {
      return malformed("a record length is out of range");
    }
    // Never more than the largest ClientHello allowed (its length is checked below), so later
    // bytes of the same record cannot change the verdict.
    const std::size_t available = std::min({recordLength, bytes.size() - pos - kRecordHeaderBytes,
                                            kMaxClientHelloBytes + 4 - joined.size()});
    joined.append(bytes.substr(pos + kRecordHeaderBytes, available));
    if (joined.size() >= 4) {
      if (static_cast<std::uint8_t>(joined[0]) != kClientHelloType) {
        return malformed("the first handshake message is not a ClientHello");
      }
      const std::size_t helloLength =
          (static_cast<std::size_t>(static_cast<std::uint8_t>(joined[1])) << 16) |
          (static_cast<std::size_t>(static_cast<std::uint8_t>(joined[2])) << 8) |
          static_cast<std::uint8_t>(joined[3]);
      if (helloLength > kMaxClientHelloBytes) {
        return malformed("the ClientHello is larger than " + std::to_string(kMaxClientHelloBytes) +
                         " bytes");
      }
      if (joined.size() >= 4 + helloLength) {
        return clientHelloBody(std::string_view(joined).substr(4, helloLength));
      }
    }
    if (available < recordLength) {
      return ClientHelloInfo{};  // this record is still arriving
    }
    pos += kRecordHeaderBytes + recordLength;
  }
}

}  // namespace tessera::edge
