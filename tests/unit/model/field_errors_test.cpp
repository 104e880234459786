#include "model/field_errors.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::model {
namespace {

TEST(ModelFieldErrors, PointerAppendEscapesTildeAndSlash) {
  EXPECT_EQ(pointerAppend("/spec", "port"), "/spec/port");
  EXPECT_EQ(pointerAppend("", "spec"), "/spec");
  EXPECT_EQ(pointerAppend("/metadata/labels", "app.kubernetes.io/name"),
            "/metadata/labels/app.kubernetes.io~1name");
  EXPECT_EQ(pointerAppend("/a", "x~y"), "/a/x~0y");
  EXPECT_EQ(pointerAppend("/a", "~/"), "/a/~0~1");
  EXPECT_EQ(pointerAppend("/a", "~1"), "/a/~01");
  EXPECT_EQ(pointerAppend("/a", ""), "/a/");
}

TEST(ModelFieldErrors, PointerAppendWithIndex) {
  EXPECT_EQ(pointerAppend("/objects", std::size_t{0}), "/objects/0");
  EXPECT_EQ(pointerAppend("/objects", std::size_t{12}), "/objects/12");
}

TEST(ModelFieldErrors, StartsEmpty) {
  FieldErrors errors;
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(errors.size(), 0u);
  EXPECT_TRUE(errors.items().empty());
}

TEST(ModelFieldErrors, KeepsErrorsInOrder) {
  FieldErrors errors;
  errors.add("/spec/port", "must be at most 65535");
  errors.add("/spec/host", "is required");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_FALSE(errors.empty());
  EXPECT_EQ(errors.items()[0].pointer, "/spec/port");
  EXPECT_EQ(errors.items()[0].reason, "must be at most 65535");
  EXPECT_EQ(errors.items()[1].pointer, "/spec/host");
}

TEST(ModelFieldErrors, KeepsAtMostFiftyButCountsAll) {
  FieldErrors errors;
  for (int i = 0; i < 70; ++i) {
    errors.add("/items/" + std::to_string(i), "bad");
  }
  EXPECT_EQ(errors.items().size(), FieldErrors::kMaxErrors);
  EXPECT_EQ(errors.items().size(), 50u);
  EXPECT_EQ(errors.size(), 70u);
  EXPECT_EQ(errors.items().back().pointer, "/items/49");
}

TEST(ModelFieldErrors, ToErrorNamesOneError) {
  FieldErrors errors;
  errors.add("/spec/port", "must be at most 65535");
  const Error e = errors.toError("invalid ServerWorkload/api");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "invalid ServerWorkload/api: /spec/port: must be at most 65535");
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].pointer, "/spec/port");
  EXPECT_EQ(e.fields[0].reason, "must be at most 65535");
}

TEST(ModelFieldErrors, ToErrorNamesThreeAndCountsTheRest) {
  FieldErrors errors;
  errors.add("/a", "one");
  errors.add("/b", "two");
  errors.add("/c", "three");
  EXPECT_EQ(errors.toError("bad").message, "bad: /a: one; /b: two; /c: three");
  errors.add("/d", "four");
  errors.add("/e", "five");
  const Error e = errors.toError("bad");
  EXPECT_EQ(e.message, "bad: /a: one; /b: two; /c: three (and 2 more)");
  EXPECT_EQ(e.fields.size(), 5u);
}

TEST(ModelFieldErrors, ToErrorCountsDroppedErrorsInAndMore) {
  FieldErrors errors;
  for (int i = 0; i < 60; ++i) {
    errors.add("/x/" + std::to_string(i), "bad");
  }
  const Error e = errors.toError("bad");
  EXPECT_NE(e.message.find("(and 57 more)"), std::string::npos) << e.message;
  EXPECT_EQ(e.fields.size(), 50u);
}

TEST(ModelFieldErrors, ToErrorShowsTheRootPointerAsSlashAndTakesACode) {
  FieldErrors errors;
  errors.add("", "must be an object");
  const Error e = errors.toError("bad body", ErrorCode::kConflict);
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.message, "bad body: /: must be an object");
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].pointer, "");
}

}  // namespace
}  // namespace tessera::model
