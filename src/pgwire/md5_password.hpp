// PostgreSQL's md5 password authentication, client side: the answer to AuthenticationMD5Password
// for servers whose pg_hba.conf still says md5. Pure. Called by src/edge's PostgreSQL injector.
#pragma once

#include <string>
#include <string_view>

namespace tessera::pgwire {

// "md5" + md5hex(md5hex(password + user) + salt), salt being the server's 4 bytes.
std::string md5PasswordResponse(std::string_view user, std::string_view password,
                                std::string_view salt);

}  // namespace tessera::pgwire
