// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it over SASL: the
// edge authenticates to a database with a grant's password so that the application never holds
// one. Pure: the nonce comes from the caller. Called by src/edge's PostgreSQL injector.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "crypto/digest.hpp"

namespace tessera::pgwire {

inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
// A server asking for fewer rounds would make a captured proof cheap to attack offline; more
// than this would let it burn the edge's CPU. PostgreSQL uses 4096.
inline constexpr unsigned kMinScramIterations = 4096;
inline constexpr unsigned kMaxScramIterations = 1'000'000;

class ScramSha256Client {
 public:
  // `clientNonce`: printable ASCII without ',' (e.g. 18 random bytes in base64). `user` stays
  // empty for PostgreSQL, which takes the user from the startup packet (RFC 7677's example
  // names one). The password is used as its UTF-8 bytes: SASLprep leaves ASCII passwords
  // unchanged, and a non-ASCII one must already be in normalized form (NFKC).
  ScramSha256Client(std::string password, std::string clientNonce, std::string user = {});

  // "n,,n=<user>,r=<nonce>": no channel binding.
  std::string clientFirstMessage() const;
  // Reads server-first-message (r=, s=, i=) and answers client-final-message with the proof.
  // kPgAuthenticationFailed / kPgProtocol naming what is wrong (nonce not extending ours, bad
  // salt, iterations out of bounds, a server error e=...).
  Result<std::string> clientFinalMessage(std::string_view serverFirst);
  // Checks server-final-message's v= (constant time): the server knew the password too.
  Result<void> verifyServerFinal(std::string_view serverFinal) const;

 private:
  std::string password_;
  std::string clientNonce_;
  std::string user_;
  std::string authMessage_;
  crypto::Sha256Digest saltedPassword_{};
  bool proofSent_ = false;
};

}  // namespace tessera::pgwire
