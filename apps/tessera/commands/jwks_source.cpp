#include "commands/jwks_source.hpp"

#include <fstream>
#include <sstream>

namespace tessera::cli {

namespace {
constexpr std::size_t kMaxJwksBytes = 512 * 1024;
}

Result<jose::Jwks> loadJwks(const std::string& source, const std::string& caFile) {
  (void)caFile;
  if (source.starts_with("http://") || source.starts_with("https://")) {
    return fail(ErrorCode::kInvalidArgument, "JWKS URLs need the HTTP client");
  }
  std::ifstream in(source, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kIo, "cannot read JWKS file " + source);
  }
  std::string text(kMaxJwksBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxJwksBytes) {
    return fail(ErrorCode::kJwksInvalid, "JWKS file " + source + " is larger than 512 KiB");
  }
  return jose::Jwks::parse(text);
}

}  // namespace tessera::cli
