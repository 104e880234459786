// libFuzzer target for the PostgreSQL wire codecs: the input is a byte stream as a client or a
// server would send it, read in two pieces (split at the first byte's value) in the startup and
// in the typed phase. Nothing may crash; every framed message is parsed by each parser; what the
// edge encodes frames and parses back; the SCRAM client takes the input as a server's messages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pgwire/message.hpp"
#include "pgwire/scram_client.hpp"

namespace {

using namespace tessera;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void readAll(std::string_view input, pgwire::MessageReader::Phase phase) {
  pgwire::MessageReader reader(phase, 4096);
  std::vector<pgwire::Message> messages;
  const std::size_t split = input.empty() ? 0 : static_cast<unsigned char>(input[0]) % input.size();
  if (reader.feed(input.substr(0, split), messages).ok()) {
    if (phase == pgwire::MessageReader::Phase::kStartup && !messages.empty()) {
      reader.expectTyped();
    }
    (void)reader.feed(input.substr(split), messages);
  }
  for (const auto& m : messages) {
    check(m.payload.size() <= 4096);
    (void)pgwire::parseStartupPacket(m);
    (void)pgwire::parseAuthentication(m);
    (void)pgwire::parseErrorResponse(m);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  readAll(input, pgwire::MessageReader::Phase::kStartup);
  readAll(input, pgwire::MessageReader::Phase::kTyped);

  // What the edge writes reads back: an error with arbitrary text, a startup packet.
  const std::string error = pgwire::encodeFatalError("28000", input, input);
  pgwire::MessageReader reader(pgwire::MessageReader::Phase::kTyped, 1 << 20);
  std::vector<pgwire::Message> out;
  check(reader.feed(error, out).ok() && out.size() == 1);
  auto parsed = pgwire::parseErrorResponse(out[0]);
  check(parsed.ok() && parsed->code == "28000");
  const auto nul = input.find('\0');
  const std::string user(input.substr(0, nul == std::string_view::npos ? 64 : nul));
  if (!user.empty()) {
    pgwire::MessageReader startup(pgwire::MessageReader::Phase::kStartup);
    std::vector<pgwire::Message> packets;
    const std::string bytes = pgwire::encodeStartupMessage({{"user", user}});
    if (bytes.size() <= pgwire::kMaxStartupPacketBytes) {
      check(startup.feed(bytes, packets).ok() && packets.size() == 1);
      auto packet = pgwire::parseStartupPacket(packets[0]);
      check(packet.ok() && packet->parameter("user") == user);
    }
  }

  // The SCRAM client against server messages from the input (iteration counts are bounded,
  // so the PBKDF2 cost per input is too).
  pgwire::ScramSha256Client client("password", "clientnonce");
  const auto line = input.find('\n');
  auto final = client.clientFinalMessage(input.substr(0, line));
  if (final.ok()) {
    check(final->rfind("c=biws,r=clientnonce", 0) == 0);
  }
  if (line != std::string_view::npos) {
    (void)client.verifyServerFinal(input.substr(line + 1));
  }
  return 0;
}
