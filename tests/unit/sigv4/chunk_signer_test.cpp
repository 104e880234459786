// Streaming chunk signatures: the example of AWS's "Signature calculations for the Authorization
// header: transferring payload in multiple chunks" (S3 API reference, sigv4-streaming), whose
// seed and chunk signatures are published.
#include "sigv4/chunk_signer.hpp"

#include <gtest/gtest.h>

namespace tessera::sigv4 {
namespace {

const Credentials kExampleCredentials{"AKIAIOSFODNN7EXAMPLE",
                                      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const SystemTime k20130524 = fromUnixSeconds(1369353600);  // 2013-05-24T00:00:00Z

Request exampleUpload() {
  Request r;
  r.method = "PUT";
  r.path = "/examplebucket/chunkObject.txt";
  r.headers = {{"Host", "s3.amazonaws.com"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"Content-Encoding", "aws-chunked"},
               {"x-amz-decoded-content-length", "66560"},
               {"Content-Length", "66824"}};
  return r;
}

SigningParams s3Streaming() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = k20130524;
  p.payloadHash = std::string(kStreamingPayload);
  p.s3PathRules = true;
  p.addContentSha256 = true;
  return p;
}

TEST(ChunkSigner, SeedAndChunkSignaturesOfTheAwsExample) {
  auto head = signHeaders(exampleUpload(), kExampleCredentials, s3Streaming());
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->signedHeaders,
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class");
  EXPECT_EQ(head->signature, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");

  ChunkSigner chunks(kExampleCredentials, k20130524, "us-east-1", "s3", head->signature);
  EXPECT_EQ(chunks.sign(std::string(65536, 'a')),
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  EXPECT_EQ(chunks.sign(std::string(1024, 'a')),
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  EXPECT_EQ(chunks.sign(""), "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
}

TEST(ChunkSigner, FramesChunksAndTheirLengthAddsUp) {
  ChunkSigner chunks(kExampleCredentials, k20130524, "us-east-1", "s3",
                     "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  const std::string first = chunks.frame(std::string(65536, 'a'));
  EXPECT_EQ(first.substr(0, 88),
            "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a2886"
            "48\r\n");
  EXPECT_TRUE(first.ends_with("aaaa\r\n"));
  const std::string second = chunks.frame(std::string(1024, 'a'));
  EXPECT_TRUE(second.starts_with("400;chunk-signature=0055627c"));
  const std::string last = chunks.frame("");
  EXPECT_EQ(last,
            "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
            "\r\n\r\n");
  // The example's Content-Length.
  EXPECT_EQ(first.size() + second.size() + last.size(), 66824u);
  EXPECT_EQ(awsChunkedLength(66560, 65536), 66824u);
  EXPECT_EQ(awsChunkedLength(0, 65536), last.size());
  EXPECT_EQ(awsChunkedLength(65536, 65536), first.size() + last.size());
  EXPECT_EQ(awsChunkedLength(10, 0), 0u);
}

}  // namespace
}  // namespace tessera::sigv4
