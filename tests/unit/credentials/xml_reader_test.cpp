#include "credentials/xml_reader.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::credentials {
namespace {

Error rejected(std::string_view xml, const XmlLimits& limits = {}) {
  auto r = parseXml(xml, limits);
  EXPECT_FALSE(r.ok()) << xml;
  return r.ok() ? Error{} : r.error();
}

TEST(XmlReaderTest, ReadsElementsTextAttributesAndNamespacePrefixes) {
  auto doc = parseXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!-- STS -->\n"
      "<R xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\" a='1'>\n"
      "  <sts:Code xmlns:sts=\"urn:x\">InvalidIdentityToken</sts:Code>\n"
      "  <Empty/>\n"
      "  <Nested><Inner>v</Inner></Nested>\n"
      "</R>\n");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->name, "R");
  ASSERT_NE(doc->attribute("xmlns"), nullptr);
  EXPECT_EQ(*doc->attribute("xmlns"), "https://sts.amazonaws.com/doc/2011-06-15/");
  EXPECT_EQ(*doc->attribute("a"), "1");
  EXPECT_EQ(doc->attribute("b"), nullptr);
  EXPECT_EQ(doc->text, "") << "whitespace between children is dropped";
  ASSERT_EQ(doc->children.size(), 3u);
  EXPECT_EQ(doc->children[0].name, "sts:Code");
  EXPECT_EQ(doc->children[0].localName(), "Code");
  EXPECT_EQ(doc->childText("Code"), "InvalidIdentityToken");
  EXPECT_NE(doc->child("Empty"), nullptr);
  EXPECT_EQ(doc->childText("Empty"), "");
  EXPECT_EQ(doc->childText("Missing"), "");
  EXPECT_EQ(doc->child("Nested")->childText("Inner"), "v");
}

TEST(XmlReaderTest, DecodesThePredefinedEntitiesCharacterReferencesAndCdata) {
  auto doc = parseXml(
      "<m t=\"&quot;x&quot;\">&lt;a&gt; &amp; &apos;b&apos; &#65;&#x42;&#xe9;&#x1F600; "
      "<![CDATA[<raw & text>]]></m>");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->text, "<a> & 'b' AB\xC3\xA9\xF0\x9F\x98\x80 <raw & text>");
  EXPECT_EQ(*doc->attribute("t"), "\"x\"");
}

TEST(XmlReaderTest, KeepsTextVerbatimAndNormalizesLineEnds) {
  auto doc = parseXml("<m>  a\r\nb\rc  </m>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->text, "  a\nb\nc  ");
  auto attr = parseXml("<m a=\"x\ty\nz\"/>");
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(*attr->attribute("a"), "x y z");
}

TEST(XmlReaderTest, AcceptsAByteOrderMarkAndTrailingComments) {
  EXPECT_TRUE(parseXml("\xEF\xBB\xBF<a/>").ok());
  EXPECT_TRUE(parseXml("<a/>\n<!-- end -->\n").ok());
  EXPECT_TRUE(parseXml("<a><!-- c --></a>").ok());
}

TEST(XmlReaderTest, RefusesDtdsAndEntitiesBeyondThePredefinedFive) {
  EXPECT_NE(rejected("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>").message.find("DTD"),
            std::string::npos);
  EXPECT_NE(rejected("<a>&x;</a>").message.find("unknown entity"), std::string::npos);
  rejected("<a>&nbsp;</a>");
  rejected("<a>&amp</a>");
  rejected("<a>&#;</a>");
  rejected("<a>&#x;</a>");
  rejected("<a>&#12a;</a>");
  rejected("<a>&#0;</a>");        // not an XML character
  rejected("<a>&#xD800;</a>");    // surrogate
  rejected("<a>&#x110000;</a>");  // beyond Unicode
  rejected("<a>&#99999999;</a>");
  rejected("<a b=\"&x;\"/>");
}

TEST(XmlReaderTest, RefusesProcessingInstructionsAndForeignDeclarations) {
  rejected("<?php x?><a/>");
  rejected("<a><?pi x?></a>");
  rejected("<a><!ELEMENT a ANY></a>");
  rejected("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>");
  EXPECT_TRUE(parseXml("<?xml version='1.0' encoding='utf-8'?><a/>").ok());
  rejected("<?xml version=\"1.0\"");
}

TEST(XmlReaderTest, RefusesMalformedStructure) {
  rejected("");
  rejected("text");
  rejected("<a>");
  rejected("<a></b>");
  rejected("<a><b></a></b>");
  rejected("<a/><b/>");
  rejected("<a/>trailing");
  rejected("<a b=1/>");
  rejected("<a b=\"1\" b=\"2\"/>");
  rejected("<a b=\"1\"c=\"2\"/>");
  rejected("<a b=\"<\"/>");
  rejected("<a b=\"1/>");
  rejected("<a b/>");
  rejected("<1a/>");
  rejected("< a/>");
  rejected("<a>]]></a>");
  rejected("<a><![CDATA[x</a>");
  rejected("<a><!-- x </a>");
  rejected("<a><!-- x -- y --></a>");
  rejected("<a></a >x");
  rejected("<a x='1' / >");
}

TEST(XmlReaderTest, RefusesInvalidUtf8AndControlCharacters) {
  EXPECT_NE(rejected("<a>\xC3</a>").message.find("UTF-8"), std::string::npos);
  rejected("<a>\xC0\xAF</a>");          // overlong
  rejected("<a>\xED\xA0\x80</a>");      // surrogate
  rejected("<a>\xF4\x90\x80\x80</a>");  // beyond U+10FFFF
  rejected("<a>\xEF\xBF\xBF</a>");      // U+FFFF
  rejected(std::string_view("<a>\0</a>", 8));
  rejected("<a>\x01</a>");
  rejected("<a>\x1b</a>");
  EXPECT_TRUE(parseXml("<a>\t\n\r \xC3\xA9\xE2\x82\xAC</a>").ok());
}

TEST(XmlReaderTest, EnforcesItsLimits) {
  const std::string big = "<a>" + std::string(100, 'x') + "</a>";
  EXPECT_EQ(rejected(big, {.maxBytes = 50}).code, ErrorCode::kPayloadTooLarge);
  EXPECT_TRUE(parseXml(big, {.maxBytes = big.size()}).ok());

  std::string deep;
  for (int i = 0; i < 17; ++i) {
    deep += "<d>";
  }
  for (int i = 0; i < 17; ++i) {
    deep += "</d>";
  }
  EXPECT_NE(rejected(deep).message.find("deeply"), std::string::npos);
  EXPECT_TRUE(parseXml(deep, {.maxDepth = 17}).ok());

  std::string many = "<r>";
  for (int i = 0; i < 10; ++i) {
    many += "<e/>";
  }
  many += "</r>";
  EXPECT_NE(rejected(many, {.maxElements = 10}).message.find("too many elements"),
            std::string::npos);
  EXPECT_TRUE(parseXml(many, {.maxElements = 11}).ok());

  EXPECT_NE(
      rejected("<a x='1' y='2' z='3'/>", {.maxAttributesPerElement = 2}).message.find("attributes"),
      std::string::npos);
  const std::string longName = "<" + std::string(300, 'n') + "/>";
  EXPECT_NE(rejected(longName).message.find("name too long"), std::string::npos);
}

TEST(XmlReaderTest, ErrorsNameTheOffsetButNotTheDocument) {
  const Error e = rejected("<a>&secretentity;</a>");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_NE(e.message.find("byte 3"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("secretentity"), std::string::npos);
}

}  // namespace
}  // namespace tessera::credentials
