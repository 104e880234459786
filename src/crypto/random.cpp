#include "crypto/random.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "crypto/digest.hpp"
#include "crypto/openssl_ptr.hpp"

namespace tessera::crypto {

namespace {

void fillFromDrbg(unsigned char* out, std::size_t n) {
  if (n > 0 && RAND_bytes(out, static_cast<int>(n)) != 1) {
    // The DRBG failing is not an expected condition: nothing secure can continue.
    throw std::runtime_error("RAND_bytes failed: " + takeOpenSslErrors());
  }
}

// Bumped in a forked child, whose pools then hold its parent's bytes.
std::atomic<unsigned> forkGeneration{0};

unsigned currentForkGeneration() {
  static const bool registered = [] {
    return pthread_atfork(nullptr, nullptr, [] { forkGeneration.fetch_add(1); }) == 0;
  }();
  if (!registered) {
    throw std::runtime_error("cannot register the random pool's fork handler");
  }
  return forkGeneration.load(std::memory_order_relaxed);
}

// Each RAND_bytes call costs about a microsecond however few bytes it returns (the provider
// lookup and the DRBG's locking and reseed checks), and a decision asks for 12 bytes for its
// context id. Small requests are served from a per-thread block of DRBG output instead; bytes are
// wiped from the block as they are handed out, and a forked child never reuses its parent's.
class RandomPool {
 public:
  void take(unsigned char* out, std::size_t n) {
    const unsigned generation = currentForkGeneration();
    if (generation != generation_ || used_ + n > block_.size()) {
      fillFromDrbg(block_.data(), block_.size());
      generation_ = generation;
      used_ = 0;
    }
    std::memcpy(out, block_.data() + used_, n);
    OPENSSL_cleanse(block_.data() + used_, n);
    used_ += n;
  }

  ~RandomPool() { OPENSSL_cleanse(block_.data(), block_.size()); }

  static constexpr std::size_t kMaxTake = 64;

 private:
  std::array<unsigned char, 4096> block_{};
  std::size_t used_ = block_.size();
  unsigned generation_ = 0;
};

}  // namespace

std::vector<unsigned char> randomBytes(std::size_t n) {
  std::vector<unsigned char> out(n);
  if (n <= RandomPool::kMaxTake) {
    thread_local RandomPool pool;
    pool.take(out.data(), n);
  } else {
    fillFromDrbg(out.data(), n);
  }
  return out;
}

std::string randomToken(std::size_t n) {
  const auto bytes = randomBytes(n);
  return base64UrlEncodeBytes(bytes);
}

}  // namespace tessera::crypto
