#include "pgwire/md5_password.hpp"

#include "crypto/digest.hpp"

namespace tessera::pgwire {

std::string md5PasswordResponse(std::string_view user, std::string_view password,
                                std::string_view salt) {
  std::string inner(password);
  inner.append(user);
  std::string outer = crypto::md5Hex(inner);
  outer.append(salt);
  return "md5" + crypto::md5Hex(outer);
}

}  // namespace tessera::pgwire
