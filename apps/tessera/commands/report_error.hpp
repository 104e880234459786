// How every command reports a failure: "error: <message> [<code>]" on stderr, exit status 1.
// Used by the tessera binary's commands and by tessera-edge.
#pragma once

#include "common/error.hpp"

namespace tessera::cli {

int reportError(const Error& error);

}  // namespace tessera::cli
