#include "crypto/openssl_ptr.hpp"

#include <openssl/err.h>

namespace tessera::crypto {

std::string takeOpenSslErrors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

}  // namespace tessera::crypto
