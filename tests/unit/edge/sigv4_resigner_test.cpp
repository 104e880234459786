// The SigV4 re-signer: a request a workload signed with placeholder keys comes out signed with
// the grant's. Every expectation is computed independently with sigv4::signHeaders, presign and
// ChunkSigner on the request as it would have been signed with the grant's keys in the first
// place.
#include "edge/sigv4_resigner.hpp"

#include <gtest/gtest.h>

#include <random>

#include "sigv4/chunk_signer.hpp"

namespace tessera::edge {
namespace {

const sigv4::Credentials kPlaceholder{"AKIDPLACEHOLDER", "placeholder-secret", "placeholder-token"};
const sigv4::Credentials kGrant{"ASIAGRANTKEY", "grant/secret+key", "grant-session-token"};
const SystemTime kSignedAt = fromUnixSeconds(1796061600);  // 2026-11-30T18:00:00Z
const SystemTime kNow = kSignedAt + std::chrono::seconds(42);

std::string sha256Hex(std::string_view s) {
  return crypto::toHex(crypto::sha256(s));
}

sigv4::SigningParams params(std::string service, std::string payloadHash, SystemTime time) {
  sigv4::SigningParams p;
  p.region = "eu-central-1";
  p.service = std::move(service);
  p.time = time;
  p.payloadHash = std::move(payloadHash);
  p.s3PathRules = p.service == "s3";
  p.normalizePath = !p.s3PathRules;
  return p;
}

RequestHead headOf(const sigv4::Request& r) {
  RequestHead head;
  head.method = r.method;
  head.target = r.path + (r.query.empty() ? "" : "?" + r.query);
  for (const auto& [name, value] : r.headers) {
    head.headers.add(name, value);
  }
  return head;
}

sigv4::Request requestOf(const RequestHead& head) {
  sigv4::Request r;
  r.method = head.method;
  const auto q = head.target.find('?');
  r.path = head.target.substr(0, q);
  r.query = q == std::string::npos ? "" : head.target.substr(q + 1);
  for (const auto& [name, value] : head.headers) {
    r.headers.emplace_back(name, value);
  }
  return r;
}

// The request signed in the Authorization header with the placeholder keys, as an SDK sends it.
RequestHead clientSigned(sigv4::Request r, const sigv4::SigningParams& p,
                         const sigv4::Credentials& credentials = kPlaceholder) {
  auto signature = sigv4::signHeaders(r, credentials, p);
  EXPECT_TRUE(signature.ok()) << signature.error().message;
  for (const auto& [name, value] : signature->headers) {
    r.headers.emplace_back(name, value);
  }
  return headOf(r);
}

std::vector<std::string> signedHeaderList(std::string_view list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto end = std::min(list.find(';', start), list.size());
    out.emplace_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// What the grant's keys sign for `head` as the client sent it (its auth headers are replaced).
sigv4::HeaderSignature expectedSignature(const RequestHead& clientHead, sigv4::SigningParams p) {
  const auto authorization = std::string(*clientHead.headers.get("authorization"));
  p.signedHeaders = signedHeaderList(authorization.substr(
      authorization.find("SignedHeaders=") + 14,
      authorization.find(", Signature") - authorization.find("SignedHeaders=") - 14));
  auto request = requestOf(clientHead);
  auto expected = sigv4::signHeaders(request, kGrant, p);
  EXPECT_TRUE(expected.ok()) << expected.error().message;
  return *expected;
}

void expectNoPlaceholder(const RequestHead& head) {
  EXPECT_EQ(head.target.find("placeholder"), std::string::npos) << head.target;
  EXPECT_EQ(head.target.find("AKIDPLACEHOLDER"), std::string::npos);
  for (const auto& [name, value] : head.headers) {
    EXPECT_EQ(value.find("placeholder"), std::string::npos) << name << ": " << value;
    EXPECT_EQ(value.find("PLACEHOLDER"), std::string::npos) << name << ": " << value;
  }
}

sigv4::Request s3Put(std::string body) {
  sigv4::Request r;
  r.method = "PUT";
  r.path = "/reports/q3%20summary.csv";
  r.headers = {{"Host", "reports.s3.eu-central-1.amazonaws.com"},
               {"Content-Type", "text/csv"},
               {"Content-Length", std::to_string(body.size())},
               {"x-amz-meta-owner", "  sales   team "},
               {"User-Agent", "aws-cli/2"},
               {"x-amz-content-sha256", sha256Hex(body)}};
  return r;
}

TEST(SigV4Resigner, S3PutWithAHashedPayloadVerifiesWithTheGrantsKeys) {
  const std::string body = "region,total\neu,42\n";
  auto p = params("s3", sha256Hex(body), kSignedAt);
  RequestHead head = clientSigned(s3Put(body), p);
  const RequestHead sent = head;
  auto result = resignSigV4(head, kGrant, kNow);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(result->needsBody);
  EXPECT_EQ(result->body, nullptr);

  const auto expected = expectedSignature(sent, params("s3", sha256Hex(body), kNow));
  EXPECT_EQ(*head.headers.get("authorization"),
            "AWS4-HMAC-SHA256 Credential=ASIAGRANTKEY/20261130/eu-central-1/s3/aws4_request, "
            "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-meta-owner;x-amz-security-token, Signature=" +
                expected.signature);
  EXPECT_EQ(*head.headers.get("x-amz-date"), "20261130T180042Z");
  EXPECT_EQ(*head.headers.get("x-amz-security-token"), "grant-session-token");
  EXPECT_EQ(*head.headers.get("x-amz-content-sha256"), sha256Hex(body));
  EXPECT_EQ(head.target, sent.target);
  expectNoPlaceholder(head);
  // Exactly one of each replaced header.
  for (const char* name : {"authorization", "x-amz-date", "x-amz-security-token"}) {
    EXPECT_EQ(std::count_if(head.headers.begin(), head.headers.end(),
                            [&](const auto& f) { return net::equalsIgnoreCase(f.first, name); }),
              1)
        << name;
  }

  // The re-signed head verifies: signing it again as received gives the same signature.
  auto verify = sigv4::signHeaders(requestOf(head), kGrant, [&] {
    auto q = params("s3", sha256Hex(body), kNow);
    q.signedHeaders = signedHeaderList(expected.signedHeaders);
    return q;
  }());
  ASSERT_TRUE(verify.ok());
  EXPECT_EQ(verify->signature, expected.signature);
}

TEST(SigV4Resigner, UnsignedPayloadAndUnsignedTrailerPassTheBodyThrough) {
  for (const std::string mode : {"UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}) {
    auto r = s3Put("x");
    r.headers.back().second = mode;
    RequestHead head = clientSigned(r, params("s3", mode, kSignedAt));
    const RequestHead sent = head;
    auto result = resignSigV4(head, kGrant, kNow);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->body, nullptr);
    EXPECT_FALSE(result->needsBody);
    const auto expected = expectedSignature(sent, params("s3", mode, kNow));
    EXPECT_TRUE(head.headers.get("authorization")->ends_with("Signature=" + expected.signature))
        << mode;
    EXPECT_EQ(*head.headers.get("x-amz-content-sha256"), mode);
  }
}

TEST(SigV4Resigner, AGrantWithoutSessionTokenRemovesThePlaceholderToken) {
  const sigv4::Credentials longTerm{"AKIAGRANT", "long-term-secret", ""};
  auto p = params("s3", std::string(sigv4::kEmptyPayloadHash), kSignedAt);
  sigv4::Request r;
  r.method = "GET";
  r.path = "/reports";
  r.query = "list-type=2&prefix=q";
  r.headers = {{"Host", "s3.eu-central-1.amazonaws.com"},
               {"x-amz-content-sha256", std::string(sigv4::kEmptyPayloadHash)}};
  RequestHead head = clientSigned(r, p);
  ASSERT_TRUE(head.headers.contains("x-amz-security-token"));
  const RequestHead sent = head;
  auto result = resignSigV4(head, longTerm, kNow);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(head.headers.contains("x-amz-security-token"));
  auto expectedParams = params("s3", std::string(sigv4::kEmptyPayloadHash), kNow);
  expectedParams.signedHeaders = {"host", "x-amz-content-sha256", "x-amz-date"};
  auto expected = sigv4::signHeaders(r, longTerm, expectedParams);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(*head.headers.get("authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAGRANT/20261130/eu-central-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" +
                expected->signature);
  expectNoPlaceholder(head);
}

sigv4::Request stsPost(const std::string& body) {
  sigv4::Request r;
  r.method = "POST";
  r.path = "/a/../b//c";  // not S3: the path is normalized and encoded again when signed
  r.headers = {{"Host", "sts.eu-central-1.amazonaws.com"},
               {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"Content-Length", std::to_string(body.size())}};
  return r;
}

TEST(SigV4Resigner, ABodyHashedIntoTheSignatureIsAskedForAndThenSigned) {
  const std::string body = "Action=GetCallerIdentity&Version=2011-06-15";
  RequestHead head = clientSigned(stsPost(body), params("sts", sha256Hex(body), kSignedAt));
  const RequestHead sent = head;
  auto first = resignSigV4(head, kGrant, kNow);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->needsBody);
  EXPECT_EQ(first->body, nullptr);
  EXPECT_EQ(*head.headers.get("authorization"), *sent.headers.get("authorization"));

  ASSERT_TRUE(resignSigV4WithBody(head, body, kGrant, kNow).ok());
  const auto expected = expectedSignature(sent, params("sts", sha256Hex(body), kNow));
  EXPECT_TRUE(head.headers.get("authorization")->ends_with("Signature=" + expected.signature));
  EXPECT_EQ(*head.headers.get("x-amz-security-token"), "grant-session-token");
  EXPECT_FALSE(head.headers.contains("x-amz-content-sha256"));  // not added where not sent
  expectNoPlaceholder(head);

  RequestHead again = sent;
  auto tooLarge =
      resignSigV4WithBody(again, std::string(kMaxHashedBodyBytes + 1, 'x'), kGrant, kNow);
  ASSERT_FALSE(tooLarge.ok());
  EXPECT_EQ(tooLarge.error().code, ErrorCode::kPayloadTooLarge);
}

TEST(SigV4Resigner, ARequestWithoutBodyNeedsNoBody) {
  sigv4::Request r;
  r.method = "GET";
  r.path = "/";
  r.query = "Action=ListUsers&Version=2010-05-08";
  r.headers = {{"Host", "iam.amazonaws.com"}};
  RequestHead head =
      clientSigned(r, params("iam", std::string(sigv4::kEmptyPayloadHash), kSignedAt));
  const RequestHead sent = head;
  auto result = resignSigV4(head, kGrant, kNow);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(result->needsBody);
  const auto expected =
      expectedSignature(sent, params("iam", std::string(sigv4::kEmptyPayloadHash), kNow));
  EXPECT_TRUE(head.headers.get("authorization")->ends_with("Signature=" + expected.signature));
}

// A streaming upload as an SDK frames it, signed with `credentials`.
struct Upload {
  RequestHead head;
  std::string body;
  std::string seed;
};

sigv4::Request streamingRequest(std::uint64_t decoded, std::uint64_t framed,
                                std::string_view mode) {
  sigv4::Request r;
  r.method = "PUT";
  r.path = "/uploads/big.bin";
  r.headers = {{"Host", "uploads.s3.eu-central-1.amazonaws.com"},
               {"Content-Encoding", "aws-chunked"},
               {"x-amz-decoded-content-length", std::to_string(decoded)},
               {"Content-Length", std::to_string(framed)},
               {"x-amz-content-sha256", std::string(mode)}};
  return r;
}

std::string trailerSignature(const sigv4::Credentials& credentials, SystemTime time,
                             const std::string& previous, const std::string& canonical) {
  const auto key =
      sigv4::signingKey(credentials.secretAccessKey, sigv4::scopeDate(time), "eu-central-1", "s3");
  const std::string stringToSign = "AWS4-HMAC-SHA256-TRAILER\n" + sigv4::amzDate(time) + "\n" +
                                   sigv4::credentialScope(time, "eu-central-1", "s3") + "\n" +
                                   previous + "\n" + sha256Hex(canonical);
  return crypto::toHex(crypto::hmacSha256(key, stringToSign));
}

// Signs `data` as an upload in `chunkSize` chunks with `credentials` at `time`; with a trailer,
// adds x-amz-checksum-crc32 and the trailer signature.
Upload upload(const std::string& data, std::size_t chunkSize, const sigv4::Credentials& credentials,
              SystemTime time, bool trailer) {
  const std::string mode = trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
                                   : std::string(sigv4::kStreamingPayload);
  std::string body;
  // The framed length does not depend on the keys: frame once to learn it.
  auto frameAll = [&](sigv4::ChunkSigner& signer) {
    std::string out;
    for (std::size_t at = 0; at < data.size(); at += chunkSize) {
      out += signer.frame(std::string_view(data).substr(at, chunkSize));
    }
    if (!trailer) {
      out += signer.frame("");
      return out;
    }
    const std::string finalSignature = signer.sign("");
    out += "0;chunk-signature=" + finalSignature + "\r\n";
    out += "x-amz-checksum-crc32:AAAAAA==\r\n";
    out += "x-amz-trailer-signature:" +
           trailerSignature(credentials, time, finalSignature, "x-amz-checksum-crc32:AAAAAA==\n") +
           "\r\n\r\n";
    return out;
  };
  sigv4::ChunkSigner sizing(credentials, time, "eu-central-1", "s3", std::string(64, '0'));
  const std::size_t framed = frameAll(sizing).size();
  auto r = streamingRequest(data.size(), framed, mode);
  if (trailer) {
    r.headers.emplace_back("x-amz-trailer", "x-amz-checksum-crc32");
  }
  auto p = params("s3", mode, time);
  auto head = sigv4::signHeaders(r, credentials, p);
  EXPECT_TRUE(head.ok());
  for (const auto& [name, value] : head->headers) {
    r.headers.emplace_back(name, value);
  }
  sigv4::ChunkSigner signer(credentials, time, "eu-central-1", "s3", head->signature);
  body = frameAll(signer);
  EXPECT_EQ(body.size(), framed);
  return {headOf(r), body, head->signature};
}

std::string payload(std::size_t n) {
  std::string s(n, '\0');
  std::mt19937 rng(7);
  for (auto& c : s) {
    c = static_cast<char>(rng() & 0xff);
  }
  return s;
}

// Feeds `body` in pieces of the sizes `split` returns.
template <typename Split>
Result<std::string> transform(BodyTransform& t, std::string_view body, Split split) {
  std::string out;
  while (!body.empty()) {
    const std::size_t n = std::min<std::size_t>(split(), body.size());
    TESSERA_RETURN_IF_ERROR(t.feed(body.substr(0, n), out));
    body.remove_prefix(n);
  }
  TESSERA_RETURN_IF_ERROR(t.finish(out));
  return out;
}

TEST(SigV4Resigner, StreamingChunksAreSignedAgainFromTheNewSeedInAnySplit) {
  for (const bool trailer : {false, true}) {
    const std::string data = payload(3 * 1000 + 17);
    const Upload client = upload(data, 1000, kPlaceholder, kSignedAt, trailer);
    // What the grant's keys would have sent at kNow: the same request, signed properly.
    const Upload wanted = upload(data, 1000, kGrant, kNow, trailer);

    for (int split = 0; split < 3; ++split) {
      RequestHead head = client.head;
      auto result = resignSigV4(head, kGrant, kNow);
      ASSERT_TRUE(result.ok()) << result.error().message;
      ASSERT_NE(result->body, nullptr);
      EXPECT_EQ(*head.headers.get("authorization"), *wanted.head.headers.get("authorization"));
      EXPECT_EQ(*head.headers.get("content-length"), std::to_string(client.body.size()));
      expectNoPlaceholder(head);
      std::mt19937 rng(static_cast<unsigned>(split));
      auto out = split == 0   ? transform(*result->body, client.body, [] { return 1; })
                 : split == 1 ? transform(*result->body, client.body, [] { return 1 << 20; })
                              : transform(*result->body, client.body, [&] { return rng() % 700; });
      ASSERT_TRUE(out.ok()) << out.error().message;
      EXPECT_EQ(*out, wanted.body) << "trailer " << trailer << " split " << split;
      EXPECT_EQ(out->size(), client.body.size());
    }
  }
}

TEST(SigV4Resigner, StreamingReproducesTheAwsChunkedUploadExample) {
  // AWS's published example (S3 API reference, sigv4-streaming), re-signed from a client that
  // used other keys and another time: the grant's keys at the example's time give the published
  // seed and chunk signatures.
  const sigv4::Credentials example{"AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  const SystemTime at = fromUnixSeconds(1369353600);  // 2013-05-24T00:00:00Z
  RequestHead head;
  head.method = "PUT";
  head.target = "/examplebucket/chunkObject.txt";
  head.headers.add("Host", "s3.amazonaws.com");
  head.headers.add("x-amz-storage-class", "REDUCED_REDUNDANCY");
  head.headers.add("Content-Encoding", "aws-chunked");
  head.headers.add("x-amz-decoded-content-length", "66560");
  head.headers.add("Content-Length", "66824");
  head.headers.add("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  head.headers.add("x-amz-date", "20261130T180000Z");
  head.headers.add("X-Amz-Security-Token", "placeholder-token");
  head.headers.add("Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKIDPLACEHOLDER/20261130/us-east-1/s3/"
                   "aws4_request, SignedHeaders=content-encoding;content-length;host;"
                   "x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
                   "x-amz-security-token;x-amz-storage-class, Signature=" +
                       std::string(64, '1'));
  const std::string placeholder = ";chunk-signature=" + std::string(64, '0') + "\r\n";
  const std::string body = "10000" + placeholder + std::string(65536, 'a') + "\r\n" + "400" +
                           placeholder + std::string(1024, 'a') + "\r\n" + "0" + placeholder +
                           "\r\n";
  ASSERT_EQ(body.size(), 66824u);
  auto result = resignSigV4(head, example, at);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(*head.headers.get("authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class, "
            "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_FALSE(head.headers.contains("x-amz-security-token"));
  auto out = transform(*result->body, body, [] { return 4093; });
  ASSERT_TRUE(out.ok()) << out.error().message;
  const std::string expected =
      "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
      std::string(65536, 'a') +
      "\r\n400;chunk-signature="
      "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
      std::string(1024, 'a') +
      "\r\n0;chunk-signature="
      "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
  EXPECT_EQ(*out, expected);
}

TEST(SigV4Resigner, StreamingKeepsTheClientsChunkSizeDigits) {
  // Leading zeros are legal hex; keeping them keeps Content-Length right.
  const Upload client = upload("hello", 5, kPlaceholder, kSignedAt, false);
  std::string body = client.body;
  body.insert(0, "000");
  RequestHead head = client.head;
  head.headers.set("Content-Length", std::to_string(body.size()));
  auto result = resignSigV4(head, kGrant, kNow);
  ASSERT_TRUE(result.ok());
  auto out = transform(*result->body, body, [] { return 3; });
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->size(), body.size());
  EXPECT_TRUE(out->starts_with("0005;chunk-signature="));
}

Result<std::string> resignBody(const Upload& client, std::string_view body) {
  RequestHead head = client.head;
  TESSERA_DECLARE_OR_RETURN(auto result, resignSigV4(head, kGrant, kNow));
  return transform(*result.body, body, [] { return 5; });
}

void expectBodyError(const Upload& client, std::string_view body, std::string_view message) {
  auto out = resignBody(client, body);
  ASSERT_FALSE(out.ok()) << "accepted a body that should fail with: " << message;
  EXPECT_EQ(out.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(out.error().message.find(message), std::string::npos) << out.error().message;
}

TEST(SigV4Resigner, MalformedStreamingBodiesAreRefused) {
  const Upload client = upload("0123456789", 4, kPlaceholder, kSignedAt, false);
  const std::string sig(64, 'a');
  expectBodyError(client, client.body.substr(0, client.body.size() - 2), "ended before");
  expectBodyError(client, client.body + "x", "after the end");
  expectBodyError(client, "4\r\n0123\r\n", "no chunk-signature");
  expectBodyError(client, "4;chunk-signature=abc\r\n", "64 hex");
  expectBodyError(client, "zz;chunk-signature=" + sig + "\r\n", "hex digits");
  expectBodyError(client, "2000000;chunk-signature=" + sig + "\r\n", "exceeds the limit");
  expectBodyError(client, "b;chunk-signature=" + sig + "\r\n", "more than x-amz-decoded");
  expectBodyError(client, "0;chunk-signature=" + sig + "\r\n\r\n", "fewer than x-amz-decoded");
  expectBodyError(client, "4;chunk-signature=" + sig + "\r\n0123XX", "not followed by CRLF");
  expectBodyError(client, "4;chunk-signature=" + sig + "\n", "CRLF");
  expectBodyError(client, std::string(300, '1'), "longer than");
  const Upload trailer = upload("0123", 4, kPlaceholder, kSignedAt, true);
  const std::string finalChunk = "0;chunk-signature=" + sig + "\r\n";
  const std::string chunk = "4;chunk-signature=" + sig + "\r\n0123\r\n";
  expectBodyError(trailer, chunk + finalChunk + "x-amz-checksum-crc32:AAAAAA==\r\n\r\n",
                  "no x-amz-trailer-signature");
  expectBodyError(trailer, chunk + finalChunk + "x-amz-trailer-signature:" + sig + "\r\nx:y\r\n",
                  "not the last trailer");
  expectBodyError(trailer, chunk + finalChunk + "no colon\r\n", "not a header field");
  expectBodyError(client,
                  chunk + "6;chunk-signature=" + sig + "\r\n456789\r\n" + finalChunk +
                      "x-amz-checksum-crc32:AAAAAA==\r\n\r\n",
                  "trailers need a -TRAILER payload");
}

sigv4::Request presignable() {
  sigv4::Request r;
  r.method = "GET";
  r.path = "/reports/q3.csv";
  r.query = "versionId=3&response-content-type=text%2Fcsv";
  r.headers = {{"Host", "reports.s3.eu-central-1.amazonaws.com"}};
  return r;
}

TEST(SigV4Resigner, APresignedUrlIsPresignedAgainForTheTimeItHadLeft) {
  auto p = params("s3", std::string(sigv4::kUnsignedPayload), kSignedAt);
  auto r = presignable();
  auto client = sigv4::presign(r, kPlaceholder, p, std::chrono::seconds(900));
  ASSERT_TRUE(client.ok());
  RequestHead head = headOf(r);
  head.target = r.path + "?" + client->query;
  auto result = resignSigV4(head, kGrant, kNow);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->body, nullptr);
  EXPECT_FALSE(result->needsBody);

  auto expected =
      sigv4::presign(r, kGrant, params("s3", std::string(sigv4::kUnsignedPayload), kNow),
                     std::chrono::seconds(900 - 42));
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(head.target, r.path + "?" + expected->query);
  EXPECT_NE(head.target.find("X-Amz-Expires=858&"), std::string::npos) << head.target;
  EXPECT_NE(head.target.find("X-Amz-Security-Token=grant-session-token"), std::string::npos);
  EXPECT_NE(head.target.find("X-Amz-Credential=ASIAGRANTKEY%2F20261130%2Feu-central-1%2Fs3"),
            std::string::npos);
  EXPECT_FALSE(head.headers.contains("authorization"));
  expectNoPlaceholder(head);

  // Past its end the URL is refused, not extended.
  RequestHead late = headOf(r);
  late.target = r.path + "?" + client->query;
  auto expired = resignSigV4(late, kGrant, kSignedAt + std::chrono::seconds(900));
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
}

TEST(SigV4Resigner, APresignedUrlLosesASecurityTokenHeaderTheClientAdded) {
  // Found by sigv4_resign_fuzz: the placeholder token header used to pass through untouched.
  auto p = params("s3", std::string(sigv4::kUnsignedPayload), kSignedAt);
  auto r = presignable();
  auto client = sigv4::presign(r, kPlaceholder, p, std::chrono::seconds(900));
  ASSERT_TRUE(client.ok());
  RequestHead head = headOf(r);
  head.target = r.path + "?" + client->query;
  head.headers.add("X-Amz-Security-Token", "placeholder");
  auto result = resignSigV4(head, kGrant, kNow);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(head.headers.contains("x-amz-security-token"));
  EXPECT_NE(head.target.find("X-Amz-Security-Token=grant-session-token"), std::string::npos);
  expectNoPlaceholder(head);
}

TEST(SigV4Resigner, APresignedUrlOfAnotherServiceSignsTheEmptyBodyHash) {
  // The shape of an EKS token: a presigned STS GetCallerIdentity with an extra signed header.
  sigv4::Request r;
  r.method = "GET";
  r.path = "/";
  r.query = "Action=GetCallerIdentity&Version=2011-06-15";
  r.headers = {{"Host", "sts.eu-central-1.amazonaws.com"}, {"x-k8s-aws-id", "prod"}};
  const std::string empty(sigv4::kEmptyPayloadHash);
  auto client =
      sigv4::presign(r, kPlaceholder, params("sts", empty, kSignedAt), std::chrono::seconds(60));
  ASSERT_TRUE(client.ok());
  RequestHead head = headOf(r);
  head.target = "/?" + client->query;
  auto result = resignSigV4(head, kGrant, kNow);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(result->needsBody);
  auto expected =
      sigv4::presign(r, kGrant, params("sts", empty, kNow), std::chrono::seconds(60 - 42));
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(head.target, "/?" + expected->query);
  EXPECT_EQ(expected->signedHeaders, "host;x-k8s-aws-id");

  // Without the signed header the URL cannot be signed again.
  RequestHead stripped = headOf(r);
  stripped.headers.remove("x-k8s-aws-id");
  stripped.target = "/?" + client->query;
  auto missing = resignSigV4(stripped, kGrant, kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("x-k8s-aws-id"), std::string::npos);
}

TEST(SigV4Resigner, S3ObjectLambdaUsesS3PathRules) {
  auto r = s3Put("x");
  r.path = "/a//b/../c%2Fd";
  auto p = params("s3-object-lambda", sha256Hex("x"), kSignedAt);
  p.s3PathRules = true;
  p.normalizePath = false;
  RequestHead head = clientSigned(r, p);
  const RequestHead sent = head;
  ASSERT_TRUE(resignSigV4(head, kGrant, kNow).ok());
  auto q = params("s3-object-lambda", sha256Hex("x"), kNow);
  q.s3PathRules = true;
  q.normalizePath = false;
  const auto expected = expectedSignature(sent, q);
  EXPECT_TRUE(head.headers.get("authorization")->ends_with("Signature=" + expected.signature));
}

TEST(SigV4Resigner, PresignedUrlErrorsNameTheProblem) {
  auto r = presignable();
  auto client =
      sigv4::presign(r, kPlaceholder, params("s3", std::string(sigv4::kUnsignedPayload), kSignedAt),
                     std::chrono::seconds(900));
  ASSERT_TRUE(client.ok());
  const auto tamper = [&](std::string_view from, std::string_view to) {
    std::string q = client->query;
    const auto at = q.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    q.replace(at, from.size(), to);
    RequestHead head = headOf(r);
    head.target = r.path + "?" + q;
    auto result = resignSigV4(head, kGrant, kNow);
    EXPECT_FALSE(result.ok()) << to;
    return result.ok() ? std::string() : result.error().message;
  };
  EXPECT_NE(tamper("X-Amz-Expires=900", "X-Amz-Expires=0").find("1 to 604800"), std::string::npos);
  EXPECT_NE(tamper("X-Amz-Expires=900", "X-Amz-Expires=9x").find("X-Amz-Expires"),
            std::string::npos);
  EXPECT_NE(tamper("X-Amz-Date=20261130T180000Z", "X-Amz-Date=2026-11-30").find("X-Amz-Date"),
            std::string::npos);
  EXPECT_NE(tamper("X-Amz-Date=20261130T180000Z", "X-Amz-Date=99991130T180000Z").find("X-Amz-Date"),
            std::string::npos);
  EXPECT_NE(tamper("X-Amz-Date=20261130T180000Z", "X-Amz-Date=20261130T250000Z").find("X-Amz-Date"),
            std::string::npos);
  EXPECT_NE(tamper("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1")
                .find("X-Amz-Algorithm"),
            std::string::npos);
  EXPECT_NE(tamper("X-Amz-Algorithm=AWS4-HMAC-SHA256&", "").find("lacks X-Amz-Algorithm"),
            std::string::npos);
  EXPECT_NE(tamper("X-Amz-Expires=900", "X-Amz-Expires=900&X-Amz-Expires=900").find("repeats"),
            std::string::npos);
  EXPECT_NE(tamper("%2Fs3%2F", "%2F%2F").find("credential"), std::string::npos);
}

Error authorizationError(std::string authorization) {
  RequestHead head;
  head.method = "GET";
  head.target = "/";
  head.headers.add("Host", "s3.amazonaws.com");
  head.headers.add("x-amz-content-sha256", std::string(sigv4::kEmptyPayloadHash));
  head.headers.add("Authorization", std::move(authorization));
  auto result = resignSigV4(head, kGrant, kNow);
  EXPECT_FALSE(result.ok());
  return result.ok() ? Error{} : result.error();
}

TEST(SigV4Resigner, AuthorizationHeaderErrorsNameTheProblem) {
  const std::string sig = "Signature=" + std::string(64, 'f');
  const std::string credential = "Credential=AKID/20261130/us-east-1/s3/aws4_request";
  const std::pair<std::string, std::string_view> cases[] = {
      {"AWS AKID:c2lnbmF0dXJl", "Signature Version 2"},
      {"AWS4-ECDSA-P256-SHA256 Credential=AKID/20261130/s3/aws4_request", "SigV4a"},
      {"Bearer abc", "not AWS4-HMAC-SHA256"},
      {"AWS4-HMAC-SHA256", "has no Credential"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=host", "lacks Signature"},
      {"AWS4-HMAC-SHA256 " + credential + ", " + sig, "lacks SignedHeaders"},
      {"AWS4-HMAC-SHA256 SignedHeaders=host, " + sig, "lacks Credential"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=host, Signature=abc", "64 hex"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=host, " + sig + ", Extra=1",
       "unknown component"},
      {"AWS4-HMAC-SHA256 " + credential + ", " + credential + ", SignedHeaders=host, " + sig,
       "repeats Credential"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders, " + sig, "not name=value"},
      {"AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/s3, SignedHeaders=host, " + sig,
       "<access key id>/<date>"},
      {"AWS4-HMAC-SHA256 Credential=/20261130/us-east-1/s3/aws4_request, SignedHeaders=host, " +
           sig,
       "no access key id"},
      {"AWS4-HMAC-SHA256 Credential=AKID/2026-11-30/us-east-1/s3/aws4_request, "
       "SignedHeaders=host, " +
           sig,
       "YYYYMMDD"},
      {"AWS4-HMAC-SHA256 Credential=AKID/20261130//s3/aws4_request, SignedHeaders=host, " + sig,
       "region"},
      {"AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/s 3/aws4_request, "
       "SignedHeaders=host, " +
           sig,
       "service"},
      {"AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/s3/aws5_request, "
       "SignedHeaders=host, " +
           sig,
       "aws4_request"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=x-amz-date, " + sig,
       "does not include host"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=host;;x-amz-date, " + sig,
       "empty or non-lowercase"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=Host, " + sig, "non-lowercase"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=host;x-amz-meta-gone, " + sig,
       "signed the header x-amz-meta-gone, which the request lacks"},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=host, " + sig + std::string(9000, ' '),
       "longer than"},
  };
  for (const auto& [authorization, message] : cases) {
    const Error error = authorizationError(authorization);
    EXPECT_EQ(error.code, ErrorCode::kInvalidArgument) << authorization;
    EXPECT_NE(error.message.find(message), std::string::npos)
        << authorization.substr(0, 120) << " -> " << error.message;
  }
  // Too many signed headers.
  std::string many = "host";
  for (int i = 0; i < 70; ++i) {
    many += ";x-h" + std::to_string(i);
  }
  EXPECT_NE(
      authorizationError("AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=" + many + ", " + sig)
          .message.find("more than 64"),
      std::string::npos);
}

TEST(SigV4Resigner, PayloadModesItCannotSignAreRefused) {
  for (const std::string mode : {"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "BOGUS"}) {
    auto r = s3Put("x");
    r.headers.back().second = mode;
    RequestHead head = clientSigned(r, params("s3", mode, kSignedAt));
    auto result = resignSigV4(head, kGrant, kNow);
    ASSERT_FALSE(result.ok()) << mode;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
  auto r = s3Put("x");
  RequestHead twice = clientSigned(r, params("s3", sha256Hex("x"), kSignedAt));
  twice.headers.add("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  auto repeated = resignSigV4(twice, kGrant, kNow);
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.error().message.find("repeats x-amz-content-sha256"), std::string::npos);
}

TEST(SigV4Resigner, ARequestWithoutSignatureOrWithTwoIsRefused) {
  RequestHead head;
  head.method = "GET";
  head.target = "/bucket?list-type=2&X-Amz-Date=20261130T180000Z";
  head.headers.add("Host", "s3.amazonaws.com");
  auto none = resignSigV4(head, kGrant, kNow);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(none.error().message.find("the request carries no AWS signature to replace"),
            std::string::npos);

  auto r = presignable();
  auto client =
      sigv4::presign(r, kPlaceholder, params("s3", std::string(sigv4::kUnsignedPayload), kSignedAt),
                     std::chrono::seconds(900));
  ASSERT_TRUE(client.ok());
  RequestHead both =
      clientSigned(r, params("s3", std::string(sigv4::kEmptyPayloadHash), kSignedAt));
  both.target = r.path + "?" + client->query;
  auto twice = resignSigV4(both, kGrant, kNow);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("both"), std::string::npos);

  RequestHead two = clientSigned(s3Put(""), params("s3", sha256Hex(""), kSignedAt));
  two.headers.add("Authorization", std::string(*two.headers.get("authorization")));
  auto duplicated = resignSigV4(two, kGrant, kNow);
  ASSERT_FALSE(duplicated.ok());
  EXPECT_NE(duplicated.error().message.find("more than one Authorization"), std::string::npos);
}

TEST(SigV4Resigner, ErrorsNeverCarryTheGrantsSecrets) {
  RequestHead head;
  head.method = "GET";
  head.target = "/";
  head.headers.add("Host", "s3.amazonaws.com");
  head.headers.add("Authorization", "AWS4-HMAC-SHA256 Credential=x");
  auto result = resignSigV4(head, kGrant, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.find(kGrant.secretAccessKey), std::string::npos);
  EXPECT_EQ(result.error().message.find(kGrant.sessionToken), std::string::npos);
}

}  // namespace
}  // namespace tessera::edge
