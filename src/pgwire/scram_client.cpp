#include "pgwire/scram_client.hpp"

#include <charconv>
#include <optional>
#include <span>
#include <vector>

#include "crypto/pkcs7.hpp"

namespace tessera::pgwire {

namespace {
constexpr std::size_t kMaxServerMessageBytes = 4096;

std::span<const unsigned char> bytesOf(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

std::string_view viewOf(const crypto::Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

// RFC 5802 5.1: ',' and '=' in a saslname are written =2C and =3D.
std::string escapeSaslName(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Error authFailed(std::string message) {
  return Error{ErrorCode::kPgAuthenticationFailed, "SCRAM-SHA-256: " + std::move(message)};
}

Error protocolError(std::string message) {
  return Error{ErrorCode::kPgProtocol, "SCRAM-SHA-256: " + std::move(message)};
}

// A server-sent "e=<reason>" ends the exchange; RFC 5802's reasons are short tokens.
std::optional<Error> serverError(std::string_view message) {
  if (message.substr(0, 2) != "e=") {
    return std::nullopt;
  }
  return authFailed("the server refused: " + std::string(message.substr(2, 200)));
}

bool printableNonce(std::string_view nonce) {
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') {
      return false;
    }
  }
  return !nonce.empty();
}
}  // namespace

ScramSha256Client::ScramSha256Client(std::string password, std::string clientNonce,
                                     std::string user)
    : password_(std::move(password)),
      clientNonce_(std::move(clientNonce)),
      user_(std::move(user)) {}

std::string ScramSha256Client::clientFirstMessage() const {
  return "n,,n=" + escapeSaslName(user_) + ",r=" + clientNonce_;
}

Result<std::string> ScramSha256Client::clientFinalMessage(std::string_view serverFirst) {
  if (proofSent_) {
    return protocolError("a second server-first-message");
  }
  if (serverFirst.size() > kMaxServerMessageBytes) {
    return protocolError("server-first-message is too long");
  }
  if (auto refused = serverError(serverFirst)) {
    return *refused;
  }
  // r=<nonce>,s=<salt>,i=<iterations>[,extensions]; a mandatory extension (m=) is refused.
  std::vector<std::string_view> parts;
  for (std::size_t pos = 0;;) {
    const auto comma = serverFirst.find(',', pos);
    parts.push_back(serverFirst.substr(
        pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (comma == std::string_view::npos || parts.size() == 16) {
      break;
    }
    pos = comma + 1;
  }
  if (!parts.empty() && parts[0].substr(0, 2) == "m=") {
    return protocolError("the server requires an extension (m=) the edge does not support");
  }
  if (parts.size() < 3 || parts[0].substr(0, 2) != "r=" || parts[1].substr(0, 2) != "s=" ||
      parts[2].substr(0, 2) != "i=") {
    return protocolError("server-first-message is not r=<nonce>,s=<salt>,i=<iterations>");
  }
  const std::string_view nonce = parts[0].substr(2);
  const std::string_view salt = parts[1].substr(2);
  const std::string_view iterations = parts[2].substr(2);
  if (!printableNonce(nonce) || nonce.size() <= clientNonce_.size() ||
      nonce.substr(0, clientNonce_.size()) != clientNonce_) {
    return authFailed("the server's nonce does not extend the client's");
  }
  auto saltBytes = crypto::base64Decode(salt);
  if (!saltBytes || saltBytes->empty()) {
    return protocolError("the salt is not base64");
  }
  unsigned rounds = 0;
  const auto [end, ec] =
      std::from_chars(iterations.data(), iterations.data() + iterations.size(), rounds);
  if (ec != std::errc() || end != iterations.data() + iterations.size()) {
    return protocolError("the iteration count is not a number");
  }
  if (rounds < kMinScramIterations || rounds > kMaxScramIterations) {
    return authFailed("the server asks for " + std::to_string(rounds) +
                      " iterations; the edge accepts " + std::to_string(kMinScramIterations) +
                      " to " + std::to_string(kMaxScramIterations));
  }

  saltedPassword_ = crypto::pbkdf2HmacSha256(password_, bytesOf(*saltBytes), rounds);
  const auto clientKey = crypto::hmacSha256(saltedPassword_, "Client Key");
  const auto storedKey = crypto::sha256(clientKey);
  const std::string withoutProof = "c=biws,r=" + std::string(nonce);  // biws = base64("n,,")
  const std::string firstBare = clientFirstMessage().substr(3);
  authMessage_ = firstBare + "," + std::string(serverFirst) + "," + withoutProof;
  const auto signature = crypto::hmacSha256(storedKey, authMessage_);
  crypto::Sha256Digest proof{};
  for (std::size_t i = 0; i < proof.size(); ++i) {
    proof[i] = clientKey[i] ^ signature[i];
  }
  proofSent_ = true;
  return withoutProof + ",p=" + crypto::base64Encode(proof);
}

Result<void> ScramSha256Client::verifyServerFinal(std::string_view serverFinal) const {
  if (!proofSent_) {
    return protocolError("server-final-message before the proof was sent");
  }
  if (auto refused = serverError(serverFinal)) {
    return *refused;
  }
  if (serverFinal.substr(0, 2) != "v=" || serverFinal.size() > kMaxServerMessageBytes) {
    return protocolError("server-final-message has no verifier (v=)");
  }
  const auto comma = serverFinal.find(',');
  auto verifier = crypto::base64Decode(
      serverFinal.substr(2, comma == std::string_view::npos ? std::string_view::npos : comma - 2));
  if (!verifier) {
    return protocolError("the server's verifier is not base64");
  }
  const auto serverKey = crypto::hmacSha256(saltedPassword_, "Server Key");
  const auto expected = crypto::hmacSha256(serverKey, authMessage_);
  if (!crypto::constantTimeEquals(*verifier, viewOf(expected))) {
    return authFailed("the server's signature is wrong: it does not know the password");
  }
  return {};
}

}  // namespace tessera::pgwire
