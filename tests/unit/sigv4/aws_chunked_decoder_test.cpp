// The aws-chunked reader: what ChunkSigner frames reads back, in one piece or byte by byte, and
// every framing error is refused with its reason.
#include "sigv4/aws_chunked_decoder.hpp"

#include <gtest/gtest.h>

#include "sigv4/chunk_signer.hpp"

namespace tessera::sigv4 {
namespace {

const std::string kSig(64, 'a');

std::string framedBody(const std::vector<std::string>& chunks) {
  ChunkSigner signer({"AKID", "secret", ""}, fromUnixSeconds(1'440'938'160), "us-east-1", "s3",
                     std::string(64, '0'));
  std::string body;
  for (const auto& c : chunks) {
    body += signer.frame(c);
  }
  return body + signer.frame("");
}

TEST(AwsChunkedDecoder, ReadsWhatTheChunkSignerFramesInOnePieceOrByteByByte) {
  const std::vector<std::string> chunks = {std::string(65536, 'a'), "hello",
                                           std::string(1024, 'z')};
  const std::string body = framedBody(chunks);
  AwsChunkedDecoder whole;
  std::vector<std::string> out;
  ASSERT_TRUE(whole.feed(body, out).ok());
  EXPECT_TRUE(whole.done());
  EXPECT_EQ(out, chunks);
  EXPECT_EQ(whole.decodedBytes(), 65536u + 5 + 1024);

  AwsChunkedDecoder bytewise;
  std::vector<std::string> pieces;
  for (char c : body) {
    ASSERT_TRUE(bytewise.feed(std::string_view(&c, 1), pieces).ok());
  }
  EXPECT_TRUE(bytewise.done());
  EXPECT_EQ(pieces, chunks);
}

TEST(AwsChunkedDecoder, AcceptsTrailersAfterTheFinalChunk) {
  AwsChunkedDecoder d;
  std::vector<std::string> out;
  ASSERT_TRUE(d.feed("3;chunk-signature=" + kSig + "\r\nabc\r\n0;chunk-signature=" + kSig +
                         "\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
                     out)
                  .ok());
  EXPECT_TRUE(d.done());
  EXPECT_EQ(out, std::vector<std::string>{"abc"});
}

TEST(AwsChunkedDecoder, WaitsForMoreBytesBeforeTheEnd) {
  AwsChunkedDecoder d;
  std::vector<std::string> out;
  ASSERT_TRUE(d.feed("5;chunk-signature=" + kSig + "\r\nhel", out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(d.done());
  ASSERT_TRUE(d.feed("lo\r", out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(d.feed("\n", out).ok());
  EXPECT_EQ(out, std::vector<std::string>{"hello"});
}

TEST(AwsChunkedDecoder, RefusesBadFramingWithItsReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"g;chunk-signature=" + kSig + "\r\n", "not hexadecimal"},
      {";chunk-signature=" + kSig + "\r\n", "missing"},
      {"123456789;chunk-signature=" + kSig + "\r\n", "longer than 8"},
      {"3;chunk-signature=abc\r\n", "64 hex"},
      {"3;other=" + kSig + "\r\n", "chunk-signature"},
      {"3;chunk-signature=" + kSig + "\n", "CRLF"},
      {"3;chunk-signature=" + kSig + "\r\nabcXY", "followed by CRLF"},
      {std::string(300, '1'), "longer than 256"},
      {"1000001;chunk-signature=" + kSig + "\r\n", "exceeds the limit"},
      {"0;chunk-signature=" + kSig + "\r\nnot a header\r\n", "trailer"},
      {"0;chunk-signature=" + kSig + "\r\n\r\nextra", "after the final chunk"},
  };
  for (const auto& [body, reason] : cases) {
    AwsChunkedDecoder d(1024 * 1024);
    std::vector<std::string> out;
    auto r = d.feed(body, out);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
    EXPECT_FALSE(d.feed("x", out).ok()) << "a failed decoder stays failed";
  }
}

}  // namespace
}  // namespace tessera::sigv4
