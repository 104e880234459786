#include "common/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tessera {
namespace {

TEST(ErrorCodes, WireNamesAreUniqueAndStatusesValid) {
  std::set<std::string> names;
  std::size_t count = 0;
#define X(name, wire, status)                                \
  ++count;                                                   \
  names.insert(std::string(errorCodeName(ErrorCode::name))); \
  EXPECT_EQ(errorCodeName(ErrorCode::name), wire);           \
  EXPECT_EQ(httpStatusFor(ErrorCode::name), status);         \
  EXPECT_GE(httpStatusFor(ErrorCode::name), 400) << wire;    \
  EXPECT_LT(httpStatusFor(ErrorCode::name), 600) << wire;
#include "common/error_codes.def"
#undef X
  EXPECT_EQ(names.size(), count) << "two codes share a wire name";
}

TEST(ErrorCodes, KnownMappings) {
  EXPECT_EQ(httpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(httpStatusFor(ErrorCode::kTokenExpired), 401);
  EXPECT_EQ(errorCodeName(ErrorCode::kTokenExpired), "token_expired");
}

}  // namespace
}  // namespace tessera
