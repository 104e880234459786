// A directory for one test's files (SQLite stores, event streams, PEM files): made under the
// system's temporary directory with a name no other test or process can take (mkdtemp), and
// removed with everything in it when the holder goes. Test fixtures hold one as a member
// declared before whatever writes into it (a hub, a store), so that those close first.
//
// Why not a path built from the pid and the test's name: a parameterized test's name holds a
// '/' ("Name/0"), so such a path names a directory inside another one that nothing removed.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera::testing {

class ScratchDir {
 public:
  // `label` goes into the name ("tessera-<label>-XXXXXX") so that a leftover says whose it is.
  explicit ScratchDir(std::string_view label) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("tessera-" + std::string(label) + "-XXXXXX"))
            .string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot make a scratch directory " + pattern + ": " +
                               std::strerror(errno));
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;  // a destructor must not throw; a leftover is only litter
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace tessera::testing
