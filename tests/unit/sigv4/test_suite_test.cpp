// The AWS SigV4 signing test suite (awslabs/aws-c-auth, ../shared/testdata/sigv4): every case in
// header mode and in query (presigned) mode reproduces the suite's canonical request, string to
// sign, signature and signed request.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/time_format.hpp"
#include "sigv4/signer.hpp"

namespace tessera::sigv4 {
namespace {

const std::filesystem::path kSuite = std::filesystem::path(TESSERA_SHARED_DIR) / "testdata/sigv4";

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct SuiteRequest {
  Request request;
  std::string body;
};

// request.txt: "METHOD target HTTP/1.1", header lines "Name:value" (a line starting with
// whitespace continues the previous value), a blank line, the body.
SuiteRequest parseRequestFile(const std::string& text) {
  SuiteRequest out;
  std::size_t pos = text.find('\n');
  const std::string first = text.substr(0, pos);
  const auto sp1 = first.find(' ');
  const auto sp2 = first.rfind(' ');
  out.request.method = first.substr(0, sp1);
  const std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = target.find('?');
  out.request.path = target.substr(0, q);
  out.request.query = q == std::string::npos ? "" : target.substr(q + 1);
  ++pos;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      out.body = pos < text.size() ? text.substr(pos) : "";
      break;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      out.request.headers.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return out;
}

std::string headerOf(const std::string& signedRequest, const std::string& name) {
  std::istringstream in(signedRequest);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) {
      return line.substr(name.size() + 1);
    }
  }
  return "";
}

std::vector<std::string> queryParameters(const std::string& query) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto end = std::min(query.find('&', start), query.size());
    if (end > start) {
      out.push_back(query.substr(start, end - start));
    }
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> suiteCases() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kSuite)) {
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "context.json")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class SigV4Suite : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = kSuite / GetParam();
    const auto context = nlohmann::json::parse(readFile(dir_ / "context.json"));
    credentials_.accessKeyId = context["credentials"]["access_key_id"];
    credentials_.secretAccessKey = context["credentials"]["secret_access_key"];
    credentials_.sessionToken = context["credentials"].value("token", "");
    parsed_ = parseRequestFile(readFile(dir_ / "request.txt"));
    params_.region = context["region"];
    params_.service = context["service"];
    params_.time = *parseRfc3339(context["timestamp"].get<std::string>());
    params_.normalizePath = context["normalize"];
    params_.payloadHash = crypto::toHex(crypto::sha256(parsed_.body));
    params_.addContentSha256 = context["sign_body"];
    params_.omitSessionToken = context.value("omit_session_token", false);
    expires_ = std::chrono::seconds(context["expiration_in_seconds"].get<int>());
  }

  std::filesystem::path dir_;
  Credentials credentials_;
  SuiteRequest parsed_;
  SigningParams params_;
  std::chrono::seconds expires_{0};
};

TEST_P(SigV4Suite, HeaderMode) {
  auto signed_ = signHeaders(parsed_.request, credentials_, params_);
  ASSERT_TRUE(signed_.ok()) << signed_.error().message;
  EXPECT_EQ(signed_->canonicalRequest, readFile(dir_ / "header-canonical-request.txt"));
  EXPECT_EQ(signed_->stringToSign, readFile(dir_ / "header-string-to-sign.txt"));
  EXPECT_EQ(signed_->signature, readFile(dir_ / "header-signature.txt"));
  const std::string expected = readFile(dir_ / "header-signed-request.txt");
  for (const auto& [name, value] : signed_->headers) {
    EXPECT_EQ(value, headerOf(expected, name)) << name;
  }
}

TEST_P(SigV4Suite, QueryMode) {
  auto presigned = presign(parsed_.request, credentials_, params_, expires_);
  ASSERT_TRUE(presigned.ok()) << presigned.error().message;
  EXPECT_EQ(presigned->canonicalRequest, readFile(dir_ / "query-canonical-request.txt"));
  EXPECT_EQ(presigned->stringToSign, readFile(dir_ / "query-string-to-sign.txt"));
  EXPECT_EQ(presigned->signature, readFile(dir_ / "query-signature.txt"));
  const std::string expected = readFile(dir_ / "query-signed-request.txt");
  const std::string line = expected.substr(0, expected.find('\n'));
  const auto q = line.find('?');
  ASSERT_NE(q, std::string::npos) << line;
  const std::string query = line.substr(q + 1, line.rfind(' ') - q - 1);
  EXPECT_EQ(queryParameters(presigned->query), queryParameters(query));
}

INSTANTIATE_TEST_SUITE_P(Aws, SigV4Suite, ::testing::ValuesIn(suiteCases()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(SigV4SuiteFiles, AllThirtyEightCasesArePresent) {
  EXPECT_EQ(suiteCases().size(), 38u);
}

}  // namespace
}  // namespace tessera::sigv4
