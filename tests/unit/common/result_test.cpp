#include "common/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tessera {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) {
    return fail(ErrorCode::kInvalidArgument, std::to_string(v) + " is odd");
  }
  return v / 2;
}

TEST(Result, CarriesValue) {
  auto r = half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4);
}

TEST(Result, CarriesError) {
  auto r = half(7);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "7 is odd");
  EXPECT_EQ(r.error().describe(), "invalid_argument: 7 is odd");
}

TEST(Result, MoveOnlyValue) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r);
  auto p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Result, Void) {
  Result<void> ok;
  EXPECT_TRUE(ok.ok());
  Result<void> bad = fail(ErrorCode::kNotFound, "gone");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tessera
