#include "commands/report_error.hpp"

#include <iostream>

namespace tessera::cli {

int reportError(const Error& error) {
  std::cerr << "error: " << error.message << " [" << errorCodeName(error.code) << "]\n";
  return 1;
}

}  // namespace tessera::cli
