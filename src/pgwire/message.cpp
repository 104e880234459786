#include "pgwire/message.hpp"

#include <algorithm>

namespace tessera::pgwire {

namespace {
constexpr std::size_t kMaxStartupParameters = 64;
constexpr std::size_t kMaxSaslMechanisms = 16;
constexpr std::size_t kMaxErrorFieldBytes = 2000;

Error protocolError(std::string message) {
  return Error{ErrorCode::kPgProtocol, std::move(message)};
}

std::int32_t readInt32(std::string_view bytes) {
  const auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  return static_cast<std::int32_t>((b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3));
}

void appendInt32(std::string& out, std::int32_t value) {
  const auto v = static_cast<std::uint32_t>(value);
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

// A NUL-terminated string at `pos`; advances past the NUL. Nothing when there is no NUL.
std::optional<std::string> readCString(std::string_view bytes, std::size_t& pos) {
  const auto end = bytes.find('\0', pos);
  if (end == std::string_view::npos) {
    return std::nullopt;
  }
  std::string value(bytes.substr(pos, end - pos));
  pos = end + 1;
  return value;
}

void appendCString(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c != '\0') {
      out.push_back(c);
    }
  }
  out.push_back('\0');
}
}  // namespace

Result<void> MessageReader::feed(std::string_view bytes, std::vector<Message>& out) {
  if (failed_) {
    return protocolError("the connection's message stream was already broken");
  }
  buffer_.append(bytes);
  std::size_t pos = 0;
  for (;;) {
    const std::size_t header = phase_ == Phase::kStartup ? 4 : 5;
    if (buffer_.size() - pos < header) {
      break;
    }
    const char type = phase_ == Phase::kStartup ? '\0' : buffer_[pos];
    const std::int32_t length = readInt32(std::string_view(buffer_).substr(pos + header - 4, 4));
    const std::size_t limit = phase_ == Phase::kStartup
                                  ? std::min(maxMessageBytes_, kMaxStartupPacketBytes)
                                  : maxMessageBytes_;
    const std::int32_t minimum = phase_ == Phase::kStartup ? 8 : 4;
    if (length < minimum) {
      failed_ = true;
      return protocolError("message length " + std::to_string(length) + " is below the minimum " +
                           std::to_string(minimum));
    }
    if (static_cast<std::size_t>(length) > limit) {
      failed_ = true;
      return protocolError("message length " + std::to_string(length) + " exceeds the limit of " +
                           std::to_string(limit) + " bytes");
    }
    const std::size_t total = header - 4 + static_cast<std::size_t>(length);
    if (buffer_.size() - pos < total) {
      break;
    }
    out.push_back(Message{type, buffer_.substr(pos + header, total - header)});
    pos += total;
    if (phase_ == Phase::kStartup) {
      // One packet at a time: what follows depends on the answer to it (SSL, then startup).
      break;
    }
  }
  buffer_.erase(0, pos);
  return {};
}

std::optional<std::string> StartupPacket::parameter(std::string_view name) const {
  for (const auto& [key, value] : parameters) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

Result<StartupPacket> parseStartupPacket(const Message& message) {
  const std::string_view p = message.payload;
  if (message.type != '\0' || p.size() < 4) {
    return protocolError("not a startup packet");
  }
  StartupPacket packet;
  const std::int32_t code = readInt32(p);
  if (code == kSslRequestCode || code == kGssEncRequestCode) {
    if (p.size() != 4) {
      return protocolError("SSLRequest/GSSENCRequest with a body");
    }
    packet.kind = code == kSslRequestCode ? StartupPacket::Kind::kSslRequest
                                          : StartupPacket::Kind::kGssEncRequest;
    return packet;
  }
  if (code == kCancelRequestCode) {
    if (p.size() != 12) {
      return protocolError("CancelRequest of the wrong length");
    }
    packet.kind = StartupPacket::Kind::kCancelRequest;
    packet.cancelProcessId = readInt32(p.substr(4));
    packet.cancelSecretKey = readInt32(p.substr(8));
    return packet;
  }
  if ((code >> 16) != 3) {
    return protocolError("unsupported frontend protocol " + std::to_string(code >> 16) + "." +
                         std::to_string(code & 0xffff) + " (3.x is supported)");
  }
  packet.protocolVersion = code;
  std::size_t pos = 4;
  for (;;) {
    auto name = readCString(p, pos);
    if (!name) {
      return protocolError("startup packet parameters are not NUL-terminated");
    }
    if (name->empty()) {
      break;
    }
    auto value = readCString(p, pos);
    if (!value) {
      return protocolError("startup parameter \"" + name->substr(0, 64) + "\" has no value");
    }
    if (packet.parameters.size() == kMaxStartupParameters) {
      return protocolError("more than " + std::to_string(kMaxStartupParameters) +
                           " startup parameters");
    }
    if (packet.parameter(*name)) {
      return protocolError("startup parameter \"" + name->substr(0, 64) + "\" sent twice");
    }
    packet.parameters.emplace_back(std::move(*name), std::move(*value));
  }
  if (pos != p.size()) {
    return protocolError("bytes after the startup packet's parameters");
  }
  const auto user = packet.parameter("user");
  if (!user || user->empty()) {
    return protocolError("no PostgreSQL user name specified in the startup packet");
  }
  return packet;
}

std::string encodeStartupMessage(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body;
  appendInt32(body, kProtocolVersion3);
  for (const auto& [name, value] : params) {
    appendCString(body, name);
    appendCString(body, value);
  }
  body.push_back('\0');
  std::string out;
  appendInt32(out, static_cast<std::int32_t>(body.size() + 4));
  return out + body;
}

std::string encodeSslRequest() {
  std::string out;
  appendInt32(out, 8);
  appendInt32(out, kSslRequestCode);
  return out;
}

Result<Authentication> parseAuthentication(const Message& message) {
  const std::string_view p = message.payload;
  if (message.type != 'R' || p.size() < 4) {
    return protocolError("not an Authentication message");
  }
  Authentication auth;
  const std::int32_t code = readInt32(p);
  const std::string_view rest = p.substr(4);
  switch (code) {
    case 0:
      auth.kind = Authentication::Kind::kOk;
      return rest.empty() ? Result<Authentication>(auth)
                          : protocolError("AuthenticationOk with a body");
    case 3:
      auth.kind = Authentication::Kind::kCleartextPassword;
      return auth;
    case 5:
      if (rest.size() != 4) {
        return protocolError("AuthenticationMD5Password without a 4-byte salt");
      }
      auth.kind = Authentication::Kind::kMd5Password;
      auth.md5Salt = std::string(rest);
      return auth;
    case 10: {
      auth.kind = Authentication::Kind::kSasl;
      std::size_t pos = 4;
      for (;;) {
        auto mechanism = readCString(p, pos);
        if (!mechanism) {
          return protocolError("AuthenticationSASL mechanisms are not NUL-terminated");
        }
        if (mechanism->empty()) {
          break;
        }
        if (auth.mechanisms.size() == kMaxSaslMechanisms) {
          return protocolError("too many SASL mechanisms");
        }
        auth.mechanisms.push_back(std::move(*mechanism));
      }
      if (pos != p.size() || auth.mechanisms.empty()) {
        return protocolError("malformed AuthenticationSASL");
      }
      return auth;
    }
    case 11:
    case 12:
      auth.kind =
          code == 11 ? Authentication::Kind::kSaslContinue : Authentication::Kind::kSaslFinal;
      auth.data = std::string(rest);
      return auth;
    case 2:
      return protocolError(
          "the server asks for Kerberos V5 authentication, which the edge does "
          "not perform");
    case 7:
    case 8:
      return protocolError(
          "the server asks for GSSAPI authentication, which the edge does not "
          "perform");
    case 9:
      return protocolError(
          "the server asks for SSPI authentication, which the edge does not "
          "perform");
    default:
      return protocolError("unknown authentication request " + std::to_string(code));
  }
}

Result<ServerError> parseErrorResponse(const Message& message) {
  if (message.type != 'E' && message.type != 'N') {
    return protocolError("not an ErrorResponse or NoticeResponse");
  }
  const std::string_view p = message.payload;
  ServerError error;
  std::string severityS;
  std::size_t pos = 0;
  for (;;) {
    if (pos >= p.size()) {
      return protocolError("ErrorResponse fields are not terminated");
    }
    const char field = p[pos++];
    if (field == '\0') {
      break;
    }
    auto value = readCString(p, pos);
    if (!value) {
      return protocolError("ErrorResponse field is not NUL-terminated");
    }
    value->resize(std::min(value->size(), kMaxErrorFieldBytes));
    switch (field) {
      case 'S':
        severityS = std::move(*value);
        break;
      case 'V':
        error.severity = std::move(*value);
        break;
      case 'C':
        error.code = std::move(*value);
        break;
      case 'M':
        error.message = std::move(*value);
        break;
      case 'D':
        error.detail = std::move(*value);
        break;
      case 'H':
        error.hint = std::move(*value);
        break;
      default:
        break;  // position, file, line, routine...: not reported
    }
  }
  if (pos != p.size()) {
    return protocolError("bytes after the ErrorResponse's fields");
  }
  if (error.severity.empty()) {
    error.severity = std::move(severityS);
  }
  return error;
}

std::string encodeMessage(char type, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 5);
  out.push_back(type);
  appendInt32(out, static_cast<std::int32_t>(payload.size() + 4));
  out.append(payload);
  return out;
}

std::string encodePasswordMessage(std::string_view password) {
  std::string body;
  appendCString(body, password);
  return encodeMessage('p', body);
}

std::string encodeSaslInitialResponse(std::string_view mechanism, std::string_view data) {
  std::string body;
  appendCString(body, mechanism);
  appendInt32(body, static_cast<std::int32_t>(data.size()));
  body.append(data);
  return encodeMessage('p', body);
}

std::string encodeSaslResponse(std::string_view data) {
  return encodeMessage('p', data);
}

std::string encodeAuthenticationOk() {
  std::string body;
  appendInt32(body, 0);
  return encodeMessage('R', body);
}

std::string encodeFatalError(std::string_view sqlstate, std::string_view message,
                             std::string_view detail) {
  std::string body;
  const auto field = [&body](char name, std::string_view value) {
    body.push_back(name);
    appendCString(body, value.substr(0, kMaxErrorFieldBytes));
  };
  field('S', "FATAL");
  field('V', "FATAL");
  field('C', sqlstate);
  field('M', message);
  if (!detail.empty()) {
    field('D', detail);
  }
  body.push_back('\0');
  return encodeMessage('E', body);
}

}  // namespace tessera::pgwire
