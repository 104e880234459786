#include <gtest/gtest.h>

#include "net/url.hpp"

namespace tessera::net {
namespace {

TEST(UrlLoopback, OnlyLoopbackHosts) {
  for (const char* yes : {"http://127.0.0.1:8080/jwks", "http://127.9.9.9/", "http://localhost/",
                          "http://[::1]:9/"}) {
    EXPECT_TRUE(parseUrl(yes)->loopback()) << yes;
  }
  for (const char* no :
       {"http://128.0.0.1/", "http://10.0.0.1/", "http://127.0.0.1.nip.io/",
        "http://localhost.example.com/", "http://[::2]/", "https://example.com/"}) {
    EXPECT_FALSE(parseUrl(no)->loopback()) << no;
  }
}

}  // namespace
}  // namespace tessera::net
