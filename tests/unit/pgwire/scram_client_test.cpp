#include "pgwire/scram_client.hpp"

#include <gtest/gtest.h>

#include "pgwire/md5_password.hpp"

namespace tessera::pgwire {
namespace {

// RFC 7677 section 3: user "user", password "pencil".
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

TEST(ScramSha256Client, ComputesRfc7677sExample) {
  ScramSha256Client client("pencil", "rOprNGfwEbeRWgbNEkqO", "user");
  EXPECT_EQ(client.clientFirstMessage(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  auto final = client.clientFinalMessage(kServerFirst);
  ASSERT_TRUE(final.ok()) << final.error().message;
  EXPECT_EQ(*final,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_TRUE(client.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").ok());
}

TEST(ScramSha256Client, RefusesAServerThatDoesNotKnowThePassword) {
  ScramSha256Client client("pencil", "rOprNGfwEbeRWgbNEkqO", "user");
  ASSERT_TRUE(client.clientFinalMessage(kServerFirst).ok());
  auto wrong = client.verifyServerFinal("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kPgAuthenticationFailed);
  EXPECT_NE(wrong.error().message.find("does not know the password"), std::string::npos);
  EXPECT_FALSE(client.verifyServerFinal("x=1").ok());
  EXPECT_FALSE(client.verifyServerFinal("v=!!!").ok());
  auto refused = client.verifyServerFinal("e=invalid-proof");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("invalid-proof"), std::string::npos);
  EXPECT_FALSE(client.clientFinalMessage(kServerFirst).ok()) << "one exchange per client";
}

TEST(ScramSha256Client, ChecksTheServerFirstMessage) {
  const auto reason = [](std::string_view serverFirst) {
    ScramSha256Client client("pencil", "abc");
    auto r = client.clientFinalMessage(serverFirst);
    return r.ok() ? std::string("accepted") : r.error().message;
  };
  EXPECT_EQ(reason("r=abcdef,s=c2FsdA==,i=4096"), "accepted");
  EXPECT_NE(reason("r=xyzdef,s=c2FsdA==,i=4096").find("does not extend"), std::string::npos);
  EXPECT_NE(reason("r=abc,s=c2FsdA==,i=4096").find("does not extend"), std::string::npos)
      << "the server must add its own part";
  EXPECT_NE(reason("r=abc d,s=c2FsdA==,i=4096").find("does not extend"), std::string::npos);
  EXPECT_NE(reason("r=abcdef,s=c2FsdA==,i=1").find("iterations"), std::string::npos)
      << "a cheap proof for an impostor to attack";
  EXPECT_NE(reason("r=abcdef,s=c2FsdA==,i=100000000").find("iterations"), std::string::npos);
  EXPECT_NE(reason("r=abcdef,s=c2FsdA==,i=40x").find("not a number"), std::string::npos);
  EXPECT_NE(reason("r=abcdef,s=***,i=4096").find("base64"), std::string::npos);
  EXPECT_NE(reason("r=abcdef,i=4096,s=c2FsdA==").find("r=<nonce>,s=<salt>,i=<iterations>"),
            std::string::npos);
  EXPECT_NE(reason("m=ext,r=abcdef,s=c2FsdA==,i=4096").find("extension"), std::string::npos);
  EXPECT_NE(reason("e=other-error").find("other-error"), std::string::npos);
  EXPECT_NE(reason("").find("r=<nonce>"), std::string::npos);
  EXPECT_NE(reason(std::string(5000, 'r')).find("too long"), std::string::npos);
  EXPECT_EQ(reason("r=abcdef,s=c2FsdA==,i=4096,x=extension"), "accepted");
}

TEST(ScramSha256Client, EscapesTheUserName) {
  ScramSha256Client client("p", "n", "a,b=c");
  EXPECT_EQ(client.clientFirstMessage(), "n,,n=a=2Cb=3Dc,r=n");
  EXPECT_EQ(ScramSha256Client("p", "n").clientFirstMessage(), "n,,n=,r=n")
      << "PostgreSQL takes the user from the startup packet";
}

// Computed with Python's hashlib for md5_user / secret and the salt 01 02 03 04.
TEST(Md5Password, IsPostgresqlsDoubleMd5) {
  EXPECT_EQ(md5PasswordResponse("md5_user", "secret", "\x01\x02\x03\x04"),
            "md530d9d09f02a72e0bbede8eccf68ddabc");
}

}  // namespace
}  // namespace tessera::pgwire
