#include "model/spec_schema.hpp"

#include <gtest/gtest.h>

#include <string>

#include "model_test_support.hpp"

namespace tessera::model {
namespace {

using nlohmann::json;
using testing::expectOnlyError;
using testing::pointersOf;
using testing::reasonAt;

std::vector<FieldError> errorsOf(const Schema& schema, const json& value,
                                 const std::string& pointer = "/v") {
  FieldErrors errors;
  schema.validate(value, pointer, errors);
  return errors.items();
}

TEST(ModelSchema, StringRefusesOtherTypesNamingBoth) {
  const auto s = Schema::string();
  expectOnlyError(errorsOf(s, 5), "/v", "must be a string, not an integer");
  expectOnlyError(errorsOf(s, 1.5), "/v", "must be a string, not a number");
  expectOnlyError(errorsOf(s, true), "/v", "must be a string, not a boolean");
  expectOnlyError(errorsOf(s, nullptr), "/v", "must be a string, not null");
  expectOnlyError(errorsOf(s, json::array()), "/v", "must be a string, not an array");
  expectOnlyError(errorsOf(s, json::object()), "/v", "must be a string, not an object");
  EXPECT_TRUE(errorsOf(s, "").empty());
}

TEST(ModelSchema, StringLengths) {
  const auto nonEmpty = Schema::string().length(1, 5);
  expectOnlyError(errorsOf(nonEmpty, ""), "/v", "must not be empty");
  EXPECT_TRUE(errorsOf(nonEmpty, "a").empty());
  EXPECT_TRUE(errorsOf(nonEmpty, "abcde").empty());
  expectOnlyError(errorsOf(nonEmpty, "abcdef"), "/v", "must be at most 5 characters long");
  const auto three = Schema::string().length(3, 10);
  expectOnlyError(errorsOf(three, "ab"), "/v", "must be at least 3 characters long");
}

TEST(ModelSchema, StringDefaultMaximumIs4096) {
  const auto s = Schema::string();
  EXPECT_TRUE(errorsOf(s, std::string(4096, 'x')).empty());
  expectOnlyError(errorsOf(s, std::string(4097, 'x')), "/v", "must be at most 4096 characters");
}

TEST(ModelSchema, StringEnumListsAllowedValues) {
  const auto s = Schema::string().oneOf({"http", "redis"});
  EXPECT_TRUE(errorsOf(s, "redis").empty());
  expectOnlyError(errorsOf(s, "ftp"), "/v", "must be one of http, redis, not 'ftp'");
  expectOnlyError(errorsOf(s, "HTTP"), "/v", "not 'HTTP'");
}

TEST(ModelSchema, IntegerTypeAndRange) {
  const auto s = Schema::integer().range(1, 65535);
  EXPECT_TRUE(errorsOf(s, 1).empty());
  EXPECT_TRUE(errorsOf(s, 65535).empty());
  expectOnlyError(errorsOf(s, 0), "/v", "must be at least 1");
  expectOnlyError(errorsOf(s, -7), "/v", "must be at least 1");
  expectOnlyError(errorsOf(s, 65536), "/v", "must be at most 65535");
  expectOnlyError(errorsOf(s, 443.5), "/v", "must be an integer, not a number");
  expectOnlyError(errorsOf(s, "443"), "/v", "must be an integer, not a string");
  expectOnlyError(errorsOf(s, true), "/v", "must be an integer, not a boolean");
}

TEST(ModelSchema, IntegerHugeUnsignedIsAboveTheMaximum) {
  const auto s = Schema::integer().range(0, 10);
  expectOnlyError(errorsOf(s, json(std::uint64_t{18446744073709551615ULL})), "/v",
                  "must be at most 10");
  EXPECT_TRUE(errorsOf(Schema::integer(), json(std::uint64_t{18446744073709551615ULL})).empty());
}

TEST(ModelSchema, Boolean) {
  const auto s = Schema::boolean();
  EXPECT_TRUE(errorsOf(s, false).empty());
  expectOnlyError(errorsOf(s, "true"), "/v", "must be a boolean, not a string");
  expectOnlyError(errorsOf(s, 1), "/v", "must be a boolean, not an integer");
}

TEST(ModelSchema, ArrayItemsAreValidatedWithIndexedPointers) {
  const auto s = Schema::array(Schema::string().length(1, 3));
  const auto errors = errorsOf(s, json::array({"ok", 7, "", "abcd"}));
  EXPECT_EQ(pointersOf(errors), (std::vector<std::string>{"/v/1", "/v/2", "/v/3"}));
  EXPECT_EQ(reasonAt(errors, "/v/1"), "must be a string, not an integer");
  EXPECT_EQ(reasonAt(errors, "/v/2"), "must not be empty");
  EXPECT_EQ(reasonAt(errors, "/v/3"), "must be at most 3 characters long");
  expectOnlyError(errorsOf(s, "x"), "/v", "must be an array, not a string");
}

TEST(ModelSchema, ArrayItemCounts) {
  const auto one = Schema::array(Schema::integer()).items(1, 2);
  expectOnlyError(errorsOf(one, json::array()), "/v", "must have at least one item");
  expectOnlyError(errorsOf(one, json::array({1, 2, 3})), "/v", "must have at most 2 items");
  const auto two = Schema::array(Schema::integer()).items(2, 4);
  expectOnlyError(errorsOf(two, json::array({1})), "/v", "must have at least 2 items");
  const auto byDefault = Schema::array(Schema::integer());
  EXPECT_TRUE(errorsOf(byDefault, json::array()).empty());
  json many = json::array();
  for (int i = 0; i < 257; ++i) {
    many.push_back(i);
  }
  expectOnlyError(errorsOf(byDefault, many), "/v", "must have at most 256 items");
}

TEST(ModelSchema, StringMapValuesMustBeStringsWithEscapedKeys) {
  const auto s = Schema::stringMap();
  EXPECT_TRUE(errorsOf(s, json{{"a", "b"}}).empty());
  expectOnlyError(errorsOf(s, json::array()), "/v", "must be an object of strings, not an array");
  expectOnlyError(errorsOf(s, json{{"team/name", 1}}), "/v/team~1name",
                  "must be a string, not an integer");
  expectOnlyError(errorsOf(s, json{{"k", std::string(1025, 'x')}}), "/v/k",
                  "must be at most 1024 characters long");
  json many = json::object();
  for (int i = 0; i < 65; ++i) {
    many["k" + std::to_string(i)] = "v";
  }
  expectOnlyError(errorsOf(s, many), "/v", "must have at most 64 entries");
}

Schema sample() {
  return Schema::object({
      requiredField("name", Schema::string().length(1, 10)),
      optionalField("port", Schema::integer().range(1, 10)),
      optionalField("nested", Schema::object({requiredField("flag", Schema::boolean())})),
  });
}

TEST(ModelSchema, ObjectRequiredFields) {
  const auto errors = errorsOf(sample(), json::object());
  expectOnlyError(errors, "/v/name", "is required");
  expectOnlyError(errorsOf(sample(), json{{"name", "a"}, {"nested", json::object()}}),
                  "/v/nested/flag", "is required");
}

TEST(ModelSchema, ObjectUnknownFieldListsKnownFields) {
  const auto errors = errorsOf(sample(), json{{"name", "a"}, {"prot", 1}});
  expectOnlyError(errors, "/v/prot", "unknown field; known: name, port, nested");
  expectOnlyError(errorsOf(Schema::object({}), json{{"x/y", 1}}), "/v/x~1y", "unknown field");
  EXPECT_EQ(errorsOf(Schema::object({}), json{{"x", 1}})[0].reason, "unknown field");
}

TEST(ModelSchema, ObjectReportsEveryFieldAtOnce) {
  const auto errors = errorsOf(
      sample(), json{{"port", 0}, {"nested", {{"flag", "yes"}}}, {"extra", true}, {"more", 1}});
  EXPECT_EQ(pointersOf(errors), (std::vector<std::string>{"/v/name", "/v/port", "/v/nested/flag",
                                                          "/v/extra", "/v/more"}));
  EXPECT_EQ(reasonAt(errors, "/v/nested/flag"), "must be a boolean, not a string");
}

TEST(ModelSchema, ObjectRefusesOtherTypes) {
  expectOnlyError(errorsOf(sample(), json::array()), "/v", "must be an object, not an array");
  expectOnlyError(errorsOf(sample(), "x", ""), "", "must be an object, not a string");
}

TEST(ModelSchema, ChecksRunAfterTypeAndLengthAndStopAtTheFirstReason) {
  int calls = 0;
  const auto s = Schema::string()
                     .length(1, 5)
                     .check([&](const json& v) -> std::optional<std::string> {
                       ++calls;
                       if (v == "bad") {
                         return "is bad";
                       }
                       return std::nullopt;
                     })
                     .check([](const json&) -> std::optional<std::string> { return "second"; });
  expectOnlyError(errorsOf(s, 42), "/v", "must be a string");
  expectOnlyError(errorsOf(s, "toolong"), "/v", "must be at most 5");
  EXPECT_EQ(calls, 0);
  expectOnlyError(errorsOf(s, "bad"), "/v", "is bad");
  expectOnlyError(errorsOf(s, "good"), "/v", "second");
  EXPECT_EQ(calls, 2);
}

TEST(ModelSchema, ObjectCheckRunsOnlyWhenFieldsAreWellFormed) {
  int calls = 0;
  const auto s = sample().objectCheck([&](const json& v, const std::string& p, FieldErrors& e) {
    ++calls;
    if (v.contains("port") && v.at("port") == 5) {
      e.add(p + "/port", "must not be 5 with name " + v.at("name").get<std::string>());
    }
  });
  EXPECT_EQ(errorsOf(s, json{{"port", 5}}).size(), 1u);  // name missing
  EXPECT_EQ(errorsOf(s, json{{"name", "a"}, {"port", "5"}}).size(), 1u);
  EXPECT_EQ(errorsOf(s, json{{"name", "a"}, {"x", 1}}).size(), 1u);
  EXPECT_EQ(calls, 0);
  expectOnlyError(errorsOf(s, json{{"name", "a"}, {"port", 5}}), "/v/port",
                  "must not be 5 with name a");
  EXPECT_TRUE(errorsOf(s, json{{"name", "a"}, {"port", 4}}).empty());
  EXPECT_EQ(calls, 2);
}

TEST(ModelSchema, ObjectCheckIgnoresErrorsAddedBeforeIt) {
  const auto s = sample().objectCheck(
      [](const json&, const std::string& p, FieldErrors& e) { e.add(p, "cross-field"); });
  FieldErrors errors;
  errors.add("/elsewhere", "earlier");
  s.validate(json{{"name", "a"}}, "/v", errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors.items()[1].reason, "cross-field");
}

TEST(ModelSchema, ArrayCheckRunsOnlyWhenItemsAreWellFormed) {
  int calls = 0;
  const auto s =
      Schema::array(Schema::string()).check([&](const json& v) -> std::optional<std::string> {
        ++calls;
        for (const auto& item : v) {
          if (item.get<std::string>() == "x") {
            return "has x";
          }
        }
        return std::nullopt;
      });
  expectOnlyError(errorsOf(s, json::array({"a", 1})), "/v/1", "must be a string");
  EXPECT_EQ(calls, 0);
  expectOnlyError(errorsOf(s, json::array({"a", "x"})), "/v", "has x");
  EXPECT_EQ(calls, 1);
}

TEST(ModelSchema, CustomSchemaValidatesWithItsOwnFunction) {
  const auto s = Schema::custom(
      [](const json& v, const std::string& p, FieldErrors& e) {
        if (!v.is_number()) {
          e.add(p, "custom says no");
        }
      },
      json{{"type", "number"}});
  EXPECT_TRUE(errorsOf(s, 3).empty());
  expectOnlyError(errorsOf(s, "3"), "/v", "custom says no");
  EXPECT_EQ(s.toJsonSchema(), (json{{"type", "number"}}));
}

TEST(ModelSchema, JsonSchemaOfAnObject) {
  const auto s = Schema::object(
      {
          requiredField("host", Schema::string("The host.").length(1, 253)),
          optionalField("port", Schema::integer().range(1, 65535)),
          optionalField("protocol", Schema::string().oneOf({"http", "redis"})),
          optionalField("on", Schema::boolean()),
          optionalField("tags", Schema::array(Schema::string()).items(1, 8)),
          optionalField("claims", Schema::stringMap()),
          optionalField("token", Schema::string().secret()),
      },
      "A thing.");
  const json js = s.toJsonSchema();
  EXPECT_EQ(js["type"], "object");
  EXPECT_EQ(js["description"], "A thing.");
  EXPECT_EQ(js["additionalProperties"], false);
  EXPECT_EQ(js["required"], json::array({"host"}));
  EXPECT_EQ(
      js["properties"]["host"],
      (json{
          {"type", "string"}, {"minLength", 1}, {"maxLength", 253}, {"description", "The host."}}));
  EXPECT_EQ(js["properties"]["port"],
            (json{{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}}));
  EXPECT_EQ(js["properties"]["protocol"]["enum"], json::array({"http", "redis"}));
  EXPECT_FALSE(js["properties"]["protocol"].contains("minLength"));
  EXPECT_EQ(js["properties"]["on"], (json{{"type", "boolean"}}));
  EXPECT_EQ(js["properties"]["tags"], (json{{"type", "array"},
                                            {"items", {{"type", "string"}, {"maxLength", 4096}}},
                                            {"minItems", 1},
                                            {"maxItems", 8}}));
  EXPECT_EQ(js["properties"]["claims"], (json{{"type", "object"},
                                              {"additionalProperties", {{"type", "string"}}},
                                              {"maxProperties", 64}}));
  EXPECT_EQ(js["properties"]["token"]["writeOnly"], true);
  EXPECT_FALSE(js["properties"]["host"].contains("writeOnly"));
}

TEST(ModelSchema, JsonSchemaOmitsRequiredWhenNothingIs) {
  const json js = Schema::object({optionalField("a", Schema::boolean())}).toJsonSchema();
  EXPECT_FALSE(js.contains("required"));
  EXPECT_EQ(js["additionalProperties"], false);
}

Schema withSecrets() {
  return Schema::object({
      optionalField("user", Schema::string()),
      optionalField("password", Schema::string().secret()),
      optionalField("inner", Schema::object({
                                 optionalField("token", Schema::string().secret()),
                                 optionalField("kind", Schema::string()),
                             })),
      optionalField("list", Schema::array(Schema::object({
                                optionalField("key", Schema::string().secret()),
                                optionalField("id", Schema::string()),
                            }))),
  });
}

const json kWithSecrets = {
    {"user", "u"},
    {"password", "p"},
    {"inner", {{"token", "t"}, {"kind", "k"}}},
    {"list", json::array({{{"key", "k1"}, {"id", "1"}}, {{"id", "2"}}})},
};

TEST(ModelSchema, HasSecretsLooksIntoNestedSchemas) {
  EXPECT_TRUE(withSecrets().hasSecrets());
  EXPECT_TRUE(Schema::string().secret().hasSecrets());
  EXPECT_TRUE(Schema::array(Schema::string().secret()).hasSecrets());
  EXPECT_FALSE(Schema::object({optionalField("a", Schema::string())}).hasSecrets());
}

TEST(ModelSchema, RemoveSecretsIncludingNestedAndInArrays) {
  json v = kWithSecrets;
  withSecrets().removeSecrets(v);
  EXPECT_EQ(v, (json{{"user", "u"},
                     {"inner", {{"kind", "k"}}},
                     {"list", json::array({{{"id", "1"}}, {{"id", "2"}}})}}));
}

TEST(ModelSchema, MaskSecretsIncludingNestedAndInArrays) {
  json v = kWithSecrets;
  withSecrets().maskSecrets(v);
  EXPECT_EQ(v,
            (json{{"user", "u"},
                  {"password", "(redacted)"},
                  {"inner", {{"token", "(redacted)"}, {"kind", "k"}}},
                  {"list", json::array({{{"key", "(redacted)"}, {"id", "1"}}, {{"id", "2"}}})}}));
}

TEST(ModelSchema, RemoveAndMaskLeaveMalformedValuesAlone) {
  json v = {{"inner", "not an object"}, {"list", 3}};
  const json before = v;
  withSecrets().removeSecrets(v);
  EXPECT_EQ(v, before);
  withSecrets().maskSecrets(v);
  EXPECT_EQ(v, before);
}

TEST(ModelSchema, KeepSecretsFillsOmittedSecretsIncludingNested) {
  json incoming = {{"user", "u2"}, {"inner", {{"kind", "k2"}}}};
  withSecrets().keepSecrets(incoming, kWithSecrets);
  EXPECT_EQ(incoming,
            (json{{"user", "u2"}, {"password", "p"}, {"inner", {{"kind", "k2"}, {"token", "t"}}}}));
}

TEST(ModelSchema, KeepSecretsNeverOverridesGivenSecretsOrAddsPlainFields) {
  json incoming = {{"password", "new"}};
  withSecrets().keepSecrets(incoming, kWithSecrets);
  EXPECT_EQ(incoming, (json{{"password", "new"}}));
}

TEST(ModelSchema, KeepSecretsDoesNotRecreateAnOmittedParentObject) {
  json incoming = {{"user", "u"}};
  withSecrets().keepSecrets(incoming, json{{"inner", {{"token", "t"}}}});
  EXPECT_EQ(incoming, (json{{"user", "u"}}));
}

TEST(ModelSchema, WithLeadingPropertyPutsItFirst) {
  const auto s = sample().withLeadingProperty(requiredField("type", Schema::string()));
  ASSERT_EQ(s.properties().size(), 4u);
  EXPECT_EQ(s.properties()[0].name, "type");
  EXPECT_TRUE(s.properties()[0].required);
  EXPECT_EQ(s.type(), Schema::Type::kObject);
  expectOnlyError(errorsOf(s, json{{"name", "a"}}), "/v/type", "is required");
}

}  // namespace
}  // namespace tessera::model
