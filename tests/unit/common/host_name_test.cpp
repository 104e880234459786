#include "common/host_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera {
namespace {

TEST(HostName, AcceptsLabelsOfLettersDigitsHyphensAndUnderscores) {
  for (const char* name : {"a", "api.example.com", "x-1.internal", "svc_a.cluster.local", "1a",
                           "a.b.c.d.e", "0.example", "example.x0"}) {
    EXPECT_EQ(checkHostName(name), HostNameFault::kNone) << name;
  }
  EXPECT_EQ(checkHostName(std::string(63, 'a') + ".com"), HostNameFault::kNone);
}

TEST(HostName, NamesEachFault) {
  for (const char* name : {"", ".", ".a", "a.", "a..b"}) {
    EXPECT_EQ(checkHostName(name), HostNameFault::kEmptyLabel) << name;
  }
  EXPECT_EQ(checkHostName(std::string(64, 'a') + ".com"), HostNameFault::kLongLabel);
  EXPECT_EQ(checkHostName("a." + std::string(64, 'b')), HostNameFault::kLongLabel);
  for (const char* name : {"A.example", "a b", "a*b", "a/b", "a:b", "caf\xc3\xa9"}) {
    EXPECT_EQ(checkHostName(name), HostNameFault::kBadCharacter) << name;
  }
  // What inet_aton and browsers read as addresses: "127.1", "0x7f.1", "1.2.3", "017".
  for (const char* name : {"127.1", "1.2.3", "017", "a.123", "0x7f", "a.0x1"}) {
    EXPECT_EQ(checkHostName(name), HostNameFault::kNumeric) << name;
  }
  // The first fault along the name decides.
  EXPECT_EQ(checkHostName("A..b"), HostNameFault::kBadCharacter);
  EXPECT_EQ(checkHostName("a..1"), HostNameFault::kEmptyLabel);
}

}  // namespace
}  // namespace tessera
