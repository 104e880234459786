// parseClientHello against ClientHellos captured from real clients (curl, openssl s_client with
// and without SNI, TLS 1.2 only), split across reads and records, truncated, oversize, not TLS,
// and malformed server_name extensions.
#include "edge/tls_client_hello.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::edge {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// curl 7.88 to https://api.example.test:<port>/ (TLS 1.3, ALPN, many extensions).
const std::string kCurl = unhex(
    "1603010200010001fc03034b3000c55e3826ba447befe34e90eb6e7c18499f44b90b9665f7f1aca418930d20562be7"
    "bd"
    "3c41a8f64af67e8ba07fa3726e60e81c42119a8b25c19476c4b5d9b8003e130213031301c02cc030009fcca9cca8cc"
    "aa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010001"
    "75"
    "0000001500130000106170692e6578616d706c652e74657374000b000403000102000a00160014001d0017001e0019"
    "00"
    "18010001010102010301040010000e000c02683208687474702f312e31001600000017000000310000000d002a0028"
    "04"
    "0305030603080708080809080a080b080408050806040105010601030303010302040205020602002b000908030403"
    "03"
    "03020301002d00020101003300260024001d0020d95cbe7b6a562e6f6db773775441a57ba076179d5b46b3a84208d7"
    "58"
    "6e97291f001500ad000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00"
    "00000000000000000000000000000000000000000000000000000000000000000000000000");
// openssl s_client -servername Svc.Internal.Example (upper case on purpose).
const std::string kOpensslSni = unhex(
    "16030101410100013d0303cb0d97f738577a3497adcfe20d64e93c0fd45fad19e083350f03109e286f825a20a0d7e1"
    "0e"
    "0de1b7a35f2840e7a570ef6fdc8fb0355b7a6609dae0e136f288eeb6003e130213031301c02cc030009fcca9cca8cc"
    "aa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010000"
    "b6"
    "0000001900170000145376632e496e7465726e616c2e4578616d706c65000b000403000102000a00160014001d0017"
    "00"
    "1e0019001801000101010201030104002300000016000000170000000d002a0028040305030603080708080809080a"
    "08"
    "0b080408050806040105010601030303010302040205020602002b0009080304030303020301002d00020101003300"
    "26"
    "0024001d0020fd562e74b6554795a241815604da0bbf1c6bef3faeff5aef107e66bee90dc55a");
// openssl s_client -noservername.
const std::string kOpensslNoSni = unhex(
    "1603010124010001200303dd63a889dac071616724eb5724aec1d7789979e49b7a3776451947aa243966272054e329"
    "67"
    "b812d2a23ec9bbdff19866d35500ff313d4c11a70140a04a03d95146003e130213031301c02cc030009fcca9cca8cc"
    "aa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010000"
    "99"
    "000b000403000102000a00160014001d0017001e001900180100010101020103010400230000001600000017000000"
    "0d"
    "002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602002b00"
    "09"
    "080304030303020301002d00020101003300260024001d0020035df0a9f97a8aefc95431bb5c897f3a16a450fc6329"
    "4b"
    "bac564c32bb33ec601");
// openssl s_client -tls1_2 -servername db.example.test.
const std::string kOpensslTls12 = unhex(
    "16030100cf010000cb03030020f06ca8d3e90656ce420452f78ecb09c03ab9572ec92d5bded19236aa1473000038c0"
    "2c"
    "c030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d00"
    "3c"
    "0035002f00ff0100006a00000014001200000f64622e6578616d706c652e74657374000b000403000102000a000c00"
    "0a"
    "001d0017001e00190018002300000016000000170000000d002a0028040305030603080708080809080a080b080408"
    "05"
    "0806040105010601030303010302040205020602");

ClientHelloInfo parsed(std::string_view bytes) {
  auto info = parseClientHello(bytes);
  EXPECT_TRUE(info.ok()) << (info.ok() ? "" : info.error().message);
  return info.ok() ? *info : ClientHelloInfo{};
}

// A ClientHello handshake message with the given extensions block, in one record.
std::string helloWith(const std::string& extensions, bool withExtensionsLength = true) {
  std::string body;
  body += std::string("\x03\x03", 2) + std::string(32, 'r');
  body += std::string("\x00", 1);              // no session id
  body += std::string("\x00\x02\x13\x01", 4);  // one cipher suite
  body += std::string("\x01\x00", 2);          // null compression
  if (withExtensionsLength) {
    body.push_back(static_cast<char>(extensions.size() >> 8));
    body.push_back(static_cast<char>(extensions.size() & 0xff));
    body += extensions;
  }
  std::string handshake = "\x01";
  handshake.push_back(static_cast<char>(body.size() >> 16));
  handshake.push_back(static_cast<char>((body.size() >> 8) & 0xff));
  handshake.push_back(static_cast<char>(body.size() & 0xff));
  handshake += body;
  std::string record("\x16\x03\x01", 3);
  record.push_back(static_cast<char>(handshake.size() >> 8));
  record.push_back(static_cast<char>(handshake.size() & 0xff));
  return record + handshake;
}

std::string extension(std::uint16_t type, const std::string& data) {
  std::string out;
  out.push_back(static_cast<char>(type >> 8));
  out.push_back(static_cast<char>(type & 0xff));
  out.push_back(static_cast<char>(data.size() >> 8));
  out.push_back(static_cast<char>(data.size() & 0xff));
  return out + data;
}

std::string serverName(const std::string& name, char type = 0) {
  std::string entry(1, type);
  entry.push_back(static_cast<char>(name.size() >> 8));
  entry.push_back(static_cast<char>(name.size() & 0xff));
  entry += name;
  std::string list;
  list.push_back(static_cast<char>(entry.size() >> 8));
  list.push_back(static_cast<char>(entry.size() & 0xff));
  return extension(0, list + entry);
}

TEST(TlsClientHello, RealClientsNameTheirServer) {
  auto curl = parsed(kCurl);
  EXPECT_EQ(curl.status, ClientHelloStatus::kComplete);
  EXPECT_EQ(curl.serverName, "api.example.test");
  auto sni = parsed(kOpensslSni);
  EXPECT_EQ(sni.status, ClientHelloStatus::kComplete);
  EXPECT_EQ(sni.serverName, "svc.internal.example");
  auto tls12 = parsed(kOpensslTls12);
  EXPECT_EQ(tls12.status, ClientHelloStatus::kComplete);
  EXPECT_EQ(tls12.serverName, "db.example.test");
}

TEST(TlsClientHello, NoSniIsCompleteWithoutAName) {
  auto info = parsed(kOpensslNoSni);
  EXPECT_EQ(info.status, ClientHelloStatus::kComplete);
  EXPECT_FALSE(info.serverName.has_value());
  auto bare = parsed(helloWith("", false));
  EXPECT_EQ(bare.status, ClientHelloStatus::kComplete);
  EXPECT_FALSE(bare.serverName.has_value());
}

TEST(TlsClientHello, EveryPrefixNeedsMore) {
  for (std::size_t n = 0; n < kCurl.size(); ++n) {
    auto info = parseClientHello(std::string_view(kCurl).substr(0, n));
    ASSERT_TRUE(info.ok()) << n;
    EXPECT_EQ(info->status, ClientHelloStatus::kNeedMore) << n;
  }
  // Bytes after the ClientHello (early data, a second record) do not matter.
  EXPECT_EQ(parsed(kCurl + "\x17\x03\x03").serverName, "api.example.test");
}

TEST(TlsClientHello, AClientHelloSplitAcrossRecords) {
  // Re-frame curl's handshake message into records of 100 bytes.
  const std::string handshake = kCurl.substr(5);
  std::string framed;
  for (std::size_t i = 0; i < handshake.size(); i += 100) {
    const auto piece = handshake.substr(i, 100);
    framed += std::string("\x16\x03\x01", 3);
    framed.push_back(static_cast<char>(piece.size() >> 8));
    framed.push_back(static_cast<char>(piece.size() & 0xff));
    framed += piece;
  }
  EXPECT_EQ(parsed(framed).serverName, "api.example.test");
  EXPECT_EQ(parsed(framed.substr(0, 300)).status, ClientHelloStatus::kNeedMore);
  // An alert record in the middle is not a handshake.
  std::string interrupted = framed.substr(0, 105) + std::string("\x15\x03\x03\x00\x02\x02\x28", 7);
  EXPECT_FALSE(parseClientHello(interrupted).ok());
}

TEST(TlsClientHello, PlaintextIsNotTls) {
  EXPECT_EQ(parsed("GET / HTTP/1.1\r\n").status, ClientHelloStatus::kNotTls);
  EXPECT_EQ(parsed("P").status, ClientHelloStatus::kNotTls);
  EXPECT_EQ(parsed(std::string("\x00", 1)).status, ClientHelloStatus::kNotTls);
}

TEST(TlsClientHello, MultipleExtensionsAroundTheServerName) {
  const std::string exts = extension(0x000a, std::string("\x00\x02\x00\x17", 4)) +
                           extension(0xff01, std::string("\x00", 1)) + serverName("A.b.C.") +
                           extension(0x0010, std::string("\x00\x03\x02h2", 5));
  EXPECT_EQ(parsed(helloWith(exts)).serverName, "a.b.c");
  // A non-host_name entry before the host name is skipped.
  std::string list = std::string("\x05\x00\x01x", 4) + std::string(
                                                           "\x00\x00\x03"
                                                           "abc",
                                                           6);
  std::string ext =
      extension(0, std::string(1, 0) + std::string(1, static_cast<char>(list.size())) + list);
  EXPECT_EQ(parsed(helloWith(ext)).serverName, "abc");
}

TEST(TlsClientHello, MalformedHellosAreErrors) {
  // Duplicate server_name, bad names, inconsistent lengths.
  EXPECT_FALSE(parseClientHello(helloWith(serverName("a.test") + serverName("b.test"))).ok());
  EXPECT_FALSE(parseClientHello(helloWith(serverName("bad name"))).ok());
  EXPECT_FALSE(parseClientHello(helloWith(serverName("a..b"))).ok());
  EXPECT_FALSE(parseClientHello(helloWith(serverName(""))).ok());
  EXPECT_FALSE(parseClientHello(helloWith(serverName(std::string(254, 'a')))).ok());
  EXPECT_FALSE(parseClientHello(helloWith(serverName(std::string("a\0b", 3)))).ok());
  EXPECT_FALSE(
      parseClientHello(helloWith(extension(0, std::string("\x00\x09\x00\x00\x01x", 6)))).ok());
  auto truncatedExtension = helloWith(serverName("a.test"));
  truncatedExtension[truncatedExtension.size() - 12] = 0x7f;  // the extension's own length
  EXPECT_FALSE(parseClientHello(truncatedExtension).ok());
  // Not a ClientHello (a ServerHello), a wrong record version, an empty record.
  std::string serverHello = kCurl;
  serverHello[5] = 2;
  EXPECT_FALSE(parseClientHello(serverHello).ok());
  std::string badVersion = kCurl;
  badVersion[1] = 2;
  EXPECT_FALSE(parseClientHello(badVersion).ok());
  EXPECT_FALSE(parseClientHello(std::string("\x16\x03\x01\x00\x00", 5)).ok());
}

TEST(TlsClientHello, OversizeIsRefusedEarly) {
  // A handshake header that announces more than the bound: refused before the bytes arrive.
  std::string huge("\x16\x03\x01\x00\x04\x01\x01\x00\x00", 9);
  auto info = parseClientHello(huge);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message.find("larger"), std::string::npos);
  // A record longer than TLS allows.
  EXPECT_FALSE(parseClientHello(std::string("\x16\x03\x01\xff\xff\x01", 6)).ok());
}

}  // namespace
}  // namespace tessera::edge
