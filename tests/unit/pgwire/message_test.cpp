#include "pgwire/message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::pgwire {
namespace {

using namespace std::string_literals;

std::string int32(std::int32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((static_cast<std::uint32_t>(v) >> shift) & 0xff));
  }
  return out;
}

Message startup(std::string_view body) {
  return Message{'\0', std::string(body)};
}

TEST(MessageReader, FramesTypedMessagesFedByteByByte) {
  const std::string stream =
      encodeMessage('R', int32(0)) + encodeMessage('S', "a\0b\0"s) + encodeMessage('Z', "I");
  MessageReader reader(MessageReader::Phase::kTyped);
  std::vector<Message> out;
  for (const char c : stream) {
    ASSERT_TRUE(reader.feed(std::string_view(&c, 1), out).ok());
  }
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].type, 'R');
  EXPECT_EQ(out[0].payload, int32(0));
  EXPECT_EQ(out[1].payload, "a\0b\0"s);
  EXPECT_EQ(out[2].type, 'Z');
  EXPECT_EQ(out[2].payload, "I");
  EXPECT_TRUE(reader.takeBuffered().empty());
}

TEST(MessageReader, KeepsAPartialMessageForLater) {
  const std::string stream = encodeMessage('Z', "I") + encodeMessage('D', "row");
  MessageReader reader(MessageReader::Phase::kTyped);
  std::vector<Message> out;
  ASSERT_TRUE(reader.feed(std::string_view(stream).substr(0, stream.size() - 2), out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reader.takeBuffered(), stream.substr(6, stream.size() - 8));
}

TEST(MessageReader, RefusesLengthsBelowTheMinimumOrOverTheLimit) {
  std::vector<Message> out;
  MessageReader tiny(MessageReader::Phase::kTyped);
  auto r = tiny.feed("R" + int32(3), out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPgProtocol);
  EXPECT_NE(r.error().message.find("below the minimum"), std::string::npos);
  EXPECT_FALSE(tiny.feed(encodeMessage('Z', "I"), out).ok()) << "a broken stream stays broken";

  MessageReader limited(MessageReader::Phase::kTyped, 100);
  r = limited.feed("D" + int32(1'000'000), out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceeds the limit of 100"), std::string::npos);
  EXPECT_TRUE(out.empty()) << "refused before the body arrives";

  MessageReader negative(MessageReader::Phase::kTyped);
  EXPECT_FALSE(negative.feed("D" + int32(-5), out).ok());

  MessageReader startupReader(MessageReader::Phase::kStartup);
  r = startupReader.feed(int32(20'000) + int32(kProtocolVersion3), out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("10000"), std::string::npos) << "PostgreSQL's own limit";
}

TEST(MessageReader, ReadsOneStartupPacketThenTypedMessages) {
  const std::string ssl = encodeSslRequest();
  const std::string hello = encodeStartupMessage({{"user", "app"}, {"database", "orders"}});
  MessageReader reader(MessageReader::Phase::kStartup);
  std::vector<Message> out;
  ASSERT_TRUE(reader.feed(ssl + hello, out).ok());
  ASSERT_EQ(out.size(), 1u) << "what follows an SSLRequest depends on the answer";
  auto first = parseStartupPacket(out[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->kind, StartupPacket::Kind::kSslRequest);
  ASSERT_TRUE(reader.feed("", out).ok());
  ASSERT_EQ(out.size(), 2u);
  auto second = parseStartupPacket(out[1]);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->kind, StartupPacket::Kind::kStartup);
  EXPECT_EQ(second->protocolVersion, kProtocolVersion3);
  EXPECT_EQ(second->parameter("user"), "app");
  EXPECT_EQ(second->parameter("database"), "orders");
  EXPECT_EQ(second->parameter("options"), std::nullopt);
  reader.expectTyped();
  ASSERT_TRUE(reader.feed(encodeMessage('p', "x\0"s), out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].type, 'p');
}

TEST(StartupPacket, ReadsCancelAndGssRequests) {
  auto cancel = parseStartupPacket(startup(int32(kCancelRequestCode) + int32(4242) + int32(-7)));
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->kind, StartupPacket::Kind::kCancelRequest);
  EXPECT_EQ(cancel->cancelProcessId, 4242);
  EXPECT_EQ(cancel->cancelSecretKey, -7);
  auto gss = parseStartupPacket(startup(int32(kGssEncRequestCode)));
  ASSERT_TRUE(gss.ok());
  EXPECT_EQ(gss->kind, StartupPacket::Kind::kGssEncRequest);
}

TEST(StartupPacket, RefusesWhatIsNotAProtocol3StartupWithAUser) {
  const auto reason = [](std::string body) {
    auto r = parseStartupPacket(startup(body));
    return r.ok() ? std::string("accepted") : r.error().message;
  };
  EXPECT_NE(reason(int32(2 << 16) + "user\0app\0\0"s).find("unsupported frontend protocol 2.0"),
            std::string::npos);
  EXPECT_NE(reason(int32(kProtocolVersion3) + "database\0x\0\0"s).find("no PostgreSQL user"),
            std::string::npos);
  EXPECT_NE(reason(int32(kProtocolVersion3) + "user\0\0\0"s).find("no PostgreSQL user"),
            std::string::npos);
  EXPECT_NE(reason(int32(kProtocolVersion3) + "user\0a\0user\0b\0\0"s).find("sent twice"),
            std::string::npos);
  EXPECT_NE(reason(int32(kProtocolVersion3) + "user\0app"s).find("no value"), std::string::npos);
  EXPECT_NE(reason(int32(kProtocolVersion3) + "user"s).find("NUL-terminated"), std::string::npos);
  EXPECT_NE(reason(int32(kProtocolVersion3) + "user\0a\0\0junk"s).find("bytes after"),
            std::string::npos);
  EXPECT_NE(reason(int32(kSslRequestCode) + "x"s).find("with a body"), std::string::npos);
  EXPECT_NE(reason(int32(kCancelRequestCode) + int32(1)).find("wrong length"), std::string::npos);
  std::string many = int32(kProtocolVersion3) + "user\0a\0"s;
  for (int i = 0; i < 64; ++i) {
    many += "p" + std::to_string(i) + "\0v\0"s;
  }
  EXPECT_NE(reason(many + "\0"s).find("more than 64"), std::string::npos);
  EXPECT_FALSE(parseStartupPacket(Message{'Q', "x"}).ok());
}

TEST(StartupPacket, EncodesWhatItParses) {
  const std::string bytes = encodeStartupMessage(
      {{"user", "orders_app"}, {"database", "orders"}, {"application_name", "psql"}});
  MessageReader reader(MessageReader::Phase::kStartup);
  std::vector<Message> out;
  ASSERT_TRUE(reader.feed(bytes, out).ok());
  ASSERT_EQ(out.size(), 1u);
  auto parsed = parseStartupPacket(out[0]);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->parameters.size(), 3u);
  EXPECT_EQ(parsed->parameters[2].first, "application_name");
  EXPECT_EQ(parsed->parameters[2].second, "psql");
}

TEST(Authentication, ReadsEveryRequestTheEdgeAnswers) {
  const auto parse = [](std::string payload) { return parseAuthentication(Message{'R', payload}); };
  EXPECT_EQ(parse(int32(0))->kind, Authentication::Kind::kOk);
  EXPECT_EQ(parse(int32(3))->kind, Authentication::Kind::kCleartextPassword);
  auto md5 = parse(int32(5) + "\x01\x02\x03\x04");
  ASSERT_TRUE(md5.ok());
  EXPECT_EQ(md5->kind, Authentication::Kind::kMd5Password);
  EXPECT_EQ(md5->md5Salt, "\x01\x02\x03\x04");
  auto sasl = parse(int32(10) + "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"s);
  ASSERT_TRUE(sasl.ok());
  EXPECT_EQ(sasl->mechanisms, (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  auto cont = parse(int32(11) + "r=abc,s=c2FsdA==,i=4096");
  ASSERT_TRUE(cont.ok());
  EXPECT_EQ(cont->kind, Authentication::Kind::kSaslContinue);
  EXPECT_EQ(cont->data, "r=abc,s=c2FsdA==,i=4096");
  EXPECT_EQ(parse(int32(12) + "v=xyz")->kind, Authentication::Kind::kSaslFinal);
}

TEST(Authentication, NamesWhatTheEdgeCannotDo) {
  const auto reason = [](std::string payload) {
    auto r = parseAuthentication(Message{'R', payload});
    return r.ok() ? std::string("accepted") : r.error().message;
  };
  EXPECT_NE(reason(int32(2)).find("Kerberos"), std::string::npos);
  EXPECT_NE(reason(int32(7)).find("GSSAPI"), std::string::npos);
  EXPECT_NE(reason(int32(9)).find("SSPI"), std::string::npos);
  EXPECT_NE(reason(int32(99)).find("unknown authentication request 99"), std::string::npos);
  EXPECT_NE(reason(int32(5) + "ab").find("4-byte salt"), std::string::npos);
  EXPECT_NE(reason(int32(10) + "\0"s).find("malformed"), std::string::npos);
  EXPECT_NE(reason(int32(10) + "SCRAM"s).find("NUL-terminated"), std::string::npos);
  EXPECT_NE(reason(int32(0) + "x").find("with a body"), std::string::npos);
  EXPECT_NE(reason("ab").find("not an Authentication"), std::string::npos);
  EXPECT_FALSE(parseAuthentication(Message{'E', int32(0)}).ok());
}

TEST(ErrorResponse, ReadsTheFieldsTheEdgeReports) {
  const std::string payload =
      "SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"app\"\0"
      "Fauth.c\0L330\0Rauth_failed\0\0"s;
  auto error = parseErrorResponse(Message{'E', payload});
  ASSERT_TRUE(error.ok()) << error.error().message;
  EXPECT_EQ(error->severity, "FATAL");
  EXPECT_EQ(error->code, "28P01");
  EXPECT_EQ(error->message, "password authentication failed for user \"app\"");
  // A server in another language localizes S but not V.
  auto localized = parseErrorResponse(Message{'E', "SFATAL-ish\0VFATAL\0C1\0M2\0\0"s});
  EXPECT_EQ(localized->severity, "FATAL");
  EXPECT_FALSE(parseErrorResponse(Message{'E', "SFATAL\0"s}).ok());
  EXPECT_FALSE(parseErrorResponse(Message{'E', "SFATAL"s}).ok());
  EXPECT_FALSE(parseErrorResponse(Message{'E', "SFATAL\0\0junk"s}).ok());
  EXPECT_FALSE(parseErrorResponse(Message{'R', "\0"s}).ok());
}

TEST(ErrorResponse, WhatTheEdgeSendsAnUnauthorizedClientParsesBack) {
  const std::string bytes =
      encodeFatalError("28000", "tessera: access denied (MatchRuleFailed)", "context c-1\0x"s);
  MessageReader reader(MessageReader::Phase::kTyped);
  std::vector<Message> out;
  ASSERT_TRUE(reader.feed(bytes, out).ok());
  ASSERT_EQ(out.size(), 1u);
  auto error = parseErrorResponse(out[0]);
  ASSERT_TRUE(error.ok()) << error.error().message;
  EXPECT_EQ(error->severity, "FATAL");
  EXPECT_EQ(error->code, "28000");
  EXPECT_EQ(error->message, "tessera: access denied (MatchRuleFailed)");
  EXPECT_EQ(error->detail, "context c-1x") << "NULs cannot break the framing";
}

TEST(Encoders, WriteTheMessagesOfTheProtocol) {
  EXPECT_EQ(encodeAuthenticationOk(), "R"s + int32(8) + int32(0));
  EXPECT_EQ(encodePasswordMessage("md5abc"), "p"s + int32(11) + "md5abc\0"s);
  EXPECT_EQ(encodeSaslInitialResponse("SCRAM-SHA-256", "n,,n=,r=x"),
            "p"s + int32(4 + 14 + 4 + 9) + "SCRAM-SHA-256\0"s + int32(9) + "n,,n=,r=x");
  EXPECT_EQ(encodeSaslResponse("c=biws"), "p"s + int32(10) + "c=biws");
  EXPECT_EQ(encodeSslRequest(), int32(8) + int32(80877103));
}

}  // namespace
}  // namespace tessera::pgwire
