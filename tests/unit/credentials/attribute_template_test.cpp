// Templates over verified attributes: every syntax rule, and fail-closed expansion.
#include "credentials/attribute_template.hpp"

#include <gtest/gtest.h>

namespace tessera::credentials {
namespace {

trust::Attributes attributes() {
  trust::Attributes a;
  a.emplace("k8s.namespace", trust::Attribute{"sales", true, "cluster"});
  a.emplace("k8s.serviceAccountName", trust::Attribute{"analytics", true, "cluster"});
  a.emplace("github.repository", trust::Attribute{"acme/api", true, "gh"});
  a.emplace("hostname", trust::Attribute{"pod-7", false, "context"});
  a.emplace("empty", trust::Attribute{"", true, "cluster"});
  return a;
}

std::string expand(std::string_view text) {
  auto t = AttributeTemplate::parse(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.error().message;
  if (!t) {
    return "<parse error>";
  }
  auto out = t->expand(attributes());
  EXPECT_TRUE(out.ok()) << text << ": " << out.error().message;
  return out ? *out : "<expand error>";
}

std::string parseError(std::string_view text) {
  auto t = AttributeTemplate::parse(text);
  EXPECT_FALSE(t.ok()) << text << " parsed";
  return t ? "" : t.error().message;
}

TEST(AttributeTemplate, LiteralTextIsKept) {
  EXPECT_EQ(expand(""), "");
  EXPECT_EQ(expand("plain"), "plain");
  EXPECT_TRUE(AttributeTemplate::parse("plain")->isLiteral());
  EXPECT_EQ(expand("cost $5 {x} }"), "cost $5 {x} }");
  EXPECT_EQ(expand("$"), "$");
  EXPECT_EQ(expand("a$"), "a$");
  EXPECT_EQ(expand("$$"), "$$");
}

TEST(AttributeTemplate, ReferencesExpandToVerifiedValues) {
  EXPECT_EQ(expand("${k8s.namespace}"), "sales");
  EXPECT_EQ(expand("${k8s.namespace}/${k8s.serviceAccountName}"), "sales/analytics");
  EXPECT_EQ(expand("repo:${github.repository}:ref"), "repo:acme/api:ref");
  EXPECT_EQ(expand("${k8s.namespace}${k8s.namespace}"), "salessales");
  EXPECT_EQ(expand("x${empty}y"), "xy");
  auto t = AttributeTemplate::parse("${k8s.namespace}-${github.repository}");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->isLiteral());
  EXPECT_EQ(t->names(), (std::vector<std::string>{"k8s.namespace", "github.repository"}));
}

TEST(AttributeTemplate, DoubleDollarEscapesAReference) {
  EXPECT_EQ(expand("$${k8s.namespace}"), "${k8s.namespace}");
  EXPECT_EQ(expand("$${"), "${");
  EXPECT_EQ(expand("a$${b}c${k8s.namespace}"), "a${b}csales");
  // Left to right: a lone "$", then the escape "$${".
  EXPECT_EQ(expand("$$${k8s.namespace}"), "$${k8s.namespace}");
  EXPECT_TRUE(AttributeTemplate::parse("$${x}")->isLiteral());
}

TEST(AttributeTemplate, SyntaxErrorsNameTheOffset) {
  EXPECT_NE(parseError("${k8s.namespace").find("unterminated ${ at offset 0"), std::string::npos);
  EXPECT_NE(parseError("abc${").find("unterminated ${ at offset 3"), std::string::npos);
  EXPECT_NE(parseError("${}").find("empty attribute name"), std::string::npos);
  EXPECT_NE(parseError("x${a b}").find("offset 1"), std::string::npos);
  EXPECT_NE(parseError("${a/b}").find("letters, digits"), std::string::npos);
  EXPECT_NE(parseError("${${a}}").find("letters, digits"), std::string::npos);
  EXPECT_NE(parseError("${" + std::string(129, 'a') + "}").find("longer than 128"),
            std::string::npos);
  EXPECT_TRUE(AttributeTemplate::parse("${" + std::string(128, 'a') + "}").ok());
}

TEST(AttributeTemplate, AMissingAttributeFailsClosedNamingIt) {
  auto t = AttributeTemplate::parse("ns/${k8s.namespace}/${gitlab.project_path}");
  ASSERT_TRUE(t.ok());
  auto out = t->expand(attributes());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(out.error().message.find("gitlab.project_path"), std::string::npos)
      << out.error().message;
}

TEST(AttributeTemplate, ContextTheEdgeReportedDoesNotExpand) {
  auto t = AttributeTemplate::parse("${hostname}");
  ASSERT_TRUE(t.ok());
  auto out = t->expand(attributes());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("hostname"), std::string::npos);
  EXPECT_NE(out.error().message.find("not a verified attribute"), std::string::npos);
}

}  // namespace
}  // namespace tessera::credentials
