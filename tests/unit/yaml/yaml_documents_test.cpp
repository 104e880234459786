#include "model/yaml_documents.hpp"

#include <gtest/gtest.h>

namespace tessera::model {
namespace {

using nlohmann::json;

std::vector<YamlDocument> parseOk(std::string_view text) {
  auto docs = parseYamlDocuments(text, "f.yaml");
  EXPECT_TRUE(docs.ok()) << (docs.ok() ? "" : docs.error().message);
  return docs.ok() ? std::move(*docs) : std::vector<YamlDocument>{};
}

std::string parseError(std::string_view text) {
  auto docs = parseYamlDocuments(text, "f.yaml");
  EXPECT_FALSE(docs.ok());
  return docs.ok() ? "" : docs.error().message;
}

TEST(YamlDocumentsTest, MultipleDocumentsWithLines) {
  const auto docs = parseOk(
      "kind: ServerWorkload\n"  // 1
      "metadata:\n"             // 2
      "  name: s3\n"            // 3
      "spec:\n"                 // 4
      "  port: 443\n"           // 5
      "---\n"                   // 6
      "kind: AccessPolicy\n"    // 7
      "spec:\n"                 // 8
      "  clientWorkloads:\n"    // 9
      "    - ci\n"              // 10
      "    - deploy\n");        // 11
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].value["spec"]["port"], json(443));
  EXPECT_EQ(docs[0].lineOf("/spec/port"), 5);
  EXPECT_EQ(docs[0].lineOf("/metadata/name"), 3);
  EXPECT_EQ(docs[0].lineOf("/spec/port/nothing/below"), 5);
  EXPECT_EQ(docs[0].lineOf(""), 1);
  EXPECT_EQ(docs[1].lineOf(""), 7);
  EXPECT_EQ(docs[1].lineOf("/spec/clientWorkloads/1"), 11);
  EXPECT_EQ(docs[1].value["spec"]["clientWorkloads"], json({"ci", "deploy"}));
}

TEST(YamlDocumentsTest, ScalarTyping) {
  const auto docs = parseOk(
      "a: true\nb: False\nc: 42\nd: -7\ne: null\nf: ~\ng:\nh: '42'\ni: \"true\"\nj: yes\n"
      "k: 1.5\nl: 0x1F\nm: hello world\nn: ''\no: 99999999999999999999999\np: !!str 12\n");
  ASSERT_EQ(docs.size(), 1u);
  const json& v = docs[0].value;
  EXPECT_EQ(v["a"], json(true));
  EXPECT_EQ(v["b"], json(false));
  EXPECT_EQ(v["c"], json(42));
  EXPECT_EQ(v["d"], json(-7));
  EXPECT_TRUE(v["e"].is_null());
  EXPECT_TRUE(v["f"].is_null());
  EXPECT_TRUE(v["g"].is_null());
  EXPECT_EQ(v["h"], json("42"));
  EXPECT_EQ(v["i"], json("true"));
  EXPECT_EQ(v["j"], json("yes"));
  EXPECT_EQ(v["k"], json("1.5"));
  EXPECT_EQ(v["l"], json("0x1F"));
  EXPECT_EQ(v["m"], json("hello world"));
  EXPECT_EQ(v["n"], json(""));
  EXPECT_EQ(v["o"], json("99999999999999999999999"));
  EXPECT_EQ(v["p"], json("12"));
}

TEST(YamlDocumentsTest, EmptyDocumentsAreSkipped) {
  EXPECT_EQ(parseOk("---\na: 1\n---\n").size(), 1u);
  EXPECT_EQ(parseOk("").size(), 0u);
  EXPECT_EQ(parseOk("# only a comment\n---\n---\n").size(), 0u);
}

TEST(YamlDocumentsTest, MalformedYamlNamesTheLine) {
  const auto message = parseError("a: 1\nb: [1, 2\nc: 3\n");
  EXPECT_TRUE(message.starts_with("f.yaml:")) << message;
  EXPECT_NE(message.find("not valid YAML"), std::string::npos) << message;
  EXPECT_EQ(parseError("a: 1\n  b: 2\n").substr(0, 9), "f.yaml:2:");
}

TEST(YamlDocumentsTest, DuplicateKeysAreRefused) {
  EXPECT_EQ(parseError("metadata:\n  name: a\n  name: b\n"),
            "f.yaml:3: metadata.name: duplicate key 'name'");
}

TEST(YamlDocumentsTest, ComplexKeysAreRefused) {
  const auto message = parseError("? [a, b]\n: 1\n");
  EXPECT_NE(message.find("mapping key"), std::string::npos) << message;
}

TEST(YamlDocumentsTest, AliasesAreExpandedWithinLimits) {
  const auto docs = parseOk("base: &b {x: 1}\ncopy: *b\n");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].value["copy"], json({{"x", 1}}));
  // Billion laughs: refused, not expanded.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) {
      bomb += (j ? ", " : "") + prev;
    }
    bomb += "]\n";
  }
  EXPECT_NE(parseError(bomb).find("too many nodes"), std::string::npos);
}

TEST(YamlDocumentsTest, SizeLimit) {
  const std::string big(kMaxYamlFileBytes + 1, '#');
  EXPECT_NE(parseError(big).find("larger than 32 MiB"), std::string::npos);
}

TEST(YamlDocumentsTest, JsonIsYaml) {
  const auto docs = parseOk("{\n  \"kind\": \"ClientWorkload\",\n  \"spec\": {\"n\": 3}\n}\n");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].value["spec"]["n"], json(3));
  EXPECT_EQ(docs[0].lineOf("/spec"), 3);
}

TEST(YamlDocumentsTest, PointerToFieldPath) {
  EXPECT_EQ(pointerToFieldPath(""), "(document)");
  EXPECT_EQ(pointerToFieldPath("/spec/port"), "spec.port");
  EXPECT_EQ(pointerToFieldPath("/spec/rules/0/glob"), "spec.rules[0].glob");
  EXPECT_EQ(pointerToFieldPath("/metadata/labels/a~1b~0c"), "metadata.labels.a/b~c");
}

TEST(YamlDocumentsTest, EmitterKeepsOrderAndQuotesWhatWouldBeMistyped) {
  nlohmann::ordered_json doc = {{"kind", "X"}, {"b", 1}, {"a", true}};
  doc["strings"] = {"true", "123",   "",     "null", "~",           "yes",   "1.5",
                    "-",    "plain", "a: b", "#x",   "line\nbreak", "08:00", "10.0.0.0/8"};
  doc["empty"] = nlohmann::ordered_json::object();
  doc["none"] = nlohmann::ordered_json::array();
  doc["nothing"] = nullptr;
  const std::string text = toYaml(doc);
  EXPECT_TRUE(text.starts_with("kind: X\nb: 1\na: true\n")) << text;
  EXPECT_NE(text.find("  - \"true\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - \"123\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - plain\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - \"08:00\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - 10.0.0.0/8\n"), std::string::npos) << text;
  EXPECT_NE(text.find("empty: {}\n"), std::string::npos) << text;
  EXPECT_NE(text.find("none: []\n"), std::string::npos) << text;
  const auto docs = parseOk(text);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].value, json::parse(doc.dump())) << text;
}

}  // namespace
}  // namespace tessera::model
