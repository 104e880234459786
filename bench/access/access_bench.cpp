// make bench (access decisions): throughput and latency of POST /v1/access over HTTP, measured by
// wrk against an in-process hub (SQLite, server.threads = 2), with its anchor in the same run:
// wrk with the same settings against nginx answering a static 200, the floor of an HTTP round
// trip on this machine. Cases:
//   nginx    POST of a body of the same size to nginx (`return 200 "ok"`), one worker;
//   cached   every request carries the same RS256 Kubernetes token: verified-token cache hits;
//   fresh    every request carries a different RS256 token (pre-signed, rotated by the wrk
//            script): each one is a signature verification, and, seen once, is not cached
//            (trust/verified_token_cache.hpp, admission). The tokens differ in jti only —
//            the same pod's token re-issued — so the workload, and with it its grant, is the
//            same: the case measures verification, not issuing (that is `access_bench grants`);
//   large    the cached case on a second hub holding 100,000 server workloads and policies.
// Issue 4's targets: cached >= 0.5x nginx's requests per second, fresh >= 0.3x, and p99 with
// 100,000 policies at most 1.5x p99 with 10 (cached vs large). Every answer must be a 200
// `authorized` decision; the cache statistics must show hits (cached) or misses (fresh) for every
// request. Rounds interleave the cases; prints one line per case and round, then medians:
//   access <case> rps <n> p50_ms <x> p99_ms <y> requests <n> errors <n> hub_cpu_us <n> ...
// (hub_cpu_us: the hub's CPU time per request, all its threads; hub cases only)
// Environment: BENCH_ACCESS_SECONDS (5), BENCH_ACCESS_THREADS (2, wrk threads),
// BENCH_ACCESS_CONNECTIONS (32), BENCH_ACCESS_ROUNDS (3), BENCH_ACCESS_SMALL_POLICIES (10),
// BENCH_ACCESS_LARGE_POLICIES (100000), BENCH_ACCESS_CASES (nginx,cached,fresh,large).
//
// `access_bench grants` (issue 5): grants per second of the hub-signed oidc-id-token provider
// with the grant cache off — every authorized POST /v1/access signs a token (RS256 and ES256
// providers, a cached client token) — beside npm oidc-provider's client credentials grant
// (bench/grants/oidc_provider_server.mjs on a free loopback port, POST /token with
// client_secret_basic), both loaded by the same wrk settings, rounds interleaved; plus the
// provider's own issue rate in-process (one thread, no HTTP). Prints
//   median <grants-rs256|grants-es256|oidc-provider> rps <n> p50_ms <x> p99_ms <y>
//   inprocess <rs256|es256> per_s <n>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>  // kill, SIGTERM
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "credentials/credential_provider.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "hub/hub.hpp"
#include "jose/jwt.hpp"
#include "net/http_client.hpp"
#include "test_hub.hpp"

namespace {

using namespace tessera;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

const std::string kIssuer = "https://oidc.bench.example.com/id/CLUSTER";
const std::string kAccessPath = "/v1/access";
constexpr std::size_t kApplyBatch = 20'000;  // objects per POST /v1/apply (the hub's limit)

int envInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

struct Settings {
  int seconds = envInt("BENCH_ACCESS_SECONDS", 5);
  int threads = envInt("BENCH_ACCESS_THREADS", 2);
  int connections = envInt("BENCH_ACCESS_CONNECTIONS", 32);
  int rounds = envInt("BENCH_ACCESS_ROUNDS", 3);
  int smallPolicies = envInt("BENCH_ACCESS_SMALL_POLICIES", 10);
  int largePolicies = envInt("BENCH_ACCESS_LARGE_POLICIES", 100'000);
  // A subset of "nginx,cached,fresh,large" (for profiling one case).
  std::string cases = std::getenv("BENCH_ACCESS_CASES") ? std::getenv("BENCH_ACCESS_CASES")
                                                        : "nginx,cached,fresh,large";
  bool runs(const std::string& name) const {
    return ("," + cases + ",").find("," + name + ",") != std::string::npos;
  }
};

[[noreturn]] void die(const std::string& message) {
  throw std::runtime_error(message);
}

// --- child processes (nginx, wrk): killed with the bench (PR_SET_PDEATHSIG) -------------------

pid_t spawn(const std::vector<std::string>& argv, int stdoutFd) {
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    die("fork failed");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (stdoutFd >= 0) {
      ::dup2(stdoutFd, STDOUT_FILENO);
    }
    ::execv(args[0], args.data());
    std::perror(args[0]);
    ::_exit(127);
  }
  return pid;
}

// Runs to completion; returns its standard output. Dies when it fails.
std::string runCapture(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe(fds) != 0) {
    die("pipe failed");
  }
  const pid_t pid = spawn(argv, fds[1]);
  ::close(fds[1]);
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    die(argv[0] + " failed (status " + std::to_string(status) + "):\n" + out);
  }
  return out;
}

std::uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    die("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// nginx on a loopback port, one worker, no master, everything in `dir`; stopped on destruction.
class Nginx {
 public:
  explicit Nginx(const std::filesystem::path& dir) : port_(freePort()) {
    const auto d = dir.string();
    std::filesystem::create_directories(dir / "logs");
    const auto conf = dir / "nginx.conf";
    std::ofstream(conf) << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                        << "pid " << d << "/nginx.pid;\nerror_log " << d
                        << "/logs/error.log warn;\n"
                        << "events { worker_connections 1024; }\n"
                        << "http {\n  access_log off;\n  keepalive_requests 100000000;\n"
                        << "  client_body_temp_path " << d << "/body;\n"
                        << "  proxy_temp_path " << d << "/proxy;\n"
                        << "  fastcgi_temp_path " << d << "/fastcgi;\n"
                        << "  uwsgi_temp_path " << d << "/uwsgi;\n"
                        << "  scgi_temp_path " << d << "/scgi;\n"
                        << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
                        << "    location / { return 200 \"ok\"; }\n  }\n}\n";
    pid_ = spawn({"/usr/sbin/nginx", "-c", conf.string(), "-p", d + "/"}, -1);
    for (int i = 0; i < 200 && !accepts(port_); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        std::ifstream log(dir / "logs/error.log");
        die("nginx exited at start: " + std::string(std::istreambuf_iterator<char>(log), {}));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (!accepts(port_)) {
      die("nginx does not accept on 127.0.0.1:" + std::to_string(port_));
    }
  }
  ~Nginx() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

// --- wrk -------------------------------------------------------------------------------------

// Each wrk thread takes every n-th body of the file (one JSON body a line; all of them when there
// are fewer than threads) and rotates through its share; every answer that is not a 200 holding
// `expect` is counted, the first one kept.
constexpr const char* kWrkSetup = R"lua(
local threads = {}
local count = 0
function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end
)lua";

constexpr const char* kWrkHead = R"lua(

function init(args)
  local nthreads = tonumber(args[2])
  wrk.method = "POST"
  wrk.path = args[3]
  wrk.headers["Content-Type"] = "application/json"
  if args[4] ~= "" then wrk.headers["Authorization"] = "Bearer " .. args[4] end
  expect = args[5]
  local all = {}
  for line in io.lines(args[1]) do table.insert(all, line) end
  bodies = all
  if #all >= nthreads then
    bodies = {}
    for i = id + 1, #all, nthreads do table.insert(bodies, all[i]) end
  end
  all = nil
  requests = {}
  for i, b in ipairs(bodies) do
    requests[i] = wrk.format("POST", args[3], nil, b)
  end
  bodies = nil
  nextIndex = 0
  wraps = 0
  good = 0
  bad = 0
  firstBad = ""
end

function request()
  nextIndex = nextIndex + 1
  if nextIndex > #requests then
    nextIndex = 1
    wraps = wraps + 1
  end
  return requests[nextIndex]
end
)lua";

// An OAuth token request: client credentials grant, client_secret_basic (args[4] is the base64
// of client_id:client_secret).
constexpr const char* kTokenWrkHead = R"lua(

function init(args)
  wrk.method = "POST"
  wrk.path = args[3]
  wrk.body = "grant_type=client_credentials"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = "Basic " .. args[4]
  expect = args[5]
  wraps = 0
  good = 0
  bad = 0
  firstBad = ""
end
)lua";

// Counting answers and the summary line: shared by both scripts.
constexpr const char* kWrkTail = R"lua(

function response(status, headers, body)
  if status == 200 and string.find(body, expect, 1, true) then
    good = good + 1
  else
    bad = bad + 1
    if firstBad == "" then firstBad = status .. " " .. string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local good, bad, wraps, firstBad = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    good = good + t:get("good")
    bad = bad + t:get("bad")
    wraps = wraps + t:get("wraps")
    if firstBad == "" then firstBad = t:get("firstBad") end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests %d duration_us %d p50_us %d p99_us %d good %d bad %d wraps %d errors %d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    good, bad, wraps, e.connect + e.read + e.write + e.status + e.timeout))
  if firstBad ~= "" then io.write("FIRSTBAD " .. firstBad .. "\n") end
end
)lua";
const std::string kWrkScript = std::string(kWrkSetup) + kWrkHead + kWrkTail;
const std::string kTokenWrkScript = std::string(kWrkSetup) + kTokenWrkHead + kWrkTail;

struct WrkResult {
  double rps = 0;
  double p50Ms = 0;
  double p99Ms = 0;
  std::uint64_t requests = 0;
  std::uint64_t good = 0;
  std::uint64_t bad = 0;
  std::uint64_t wraps = 0;
  std::uint64_t errors = 0;
  std::string firstBad;
  // CPU time of this process (the in-process hubs; the bench's own thread only waits for wrk)
  // per request: how much work the hub does for one, whatever share of the cores it got.
  double processCpuUs = 0;
};

double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

WrkResult runWrk(const Settings& s, const std::filesystem::path& script, std::uint16_t port,
                 const std::string& path, const std::filesystem::path& bodies,
                 const std::string& bearer, const std::string& expect) {
  const double cpuBefore = processCpuSeconds();
  const std::string out = runCapture(
      {"/usr/bin/wrk", "-t" + std::to_string(s.threads), "-c" + std::to_string(s.connections),
       "-d" + std::to_string(s.seconds) + "s", "--timeout", "10s", "--latency", "-s",
       script.string(), "http://127.0.0.1:" + std::to_string(port) + path, "--", bodies.string(),
       std::to_string(s.threads), path, bearer, expect});
  WrkResult r;
  const auto at = out.find("RESULT ");
  if (at == std::string::npos) {
    die("wrk printed no result:\n" + out);
  }
  std::istringstream in(out.substr(at));
  std::string word;
  std::map<std::string, double> values;
  in >> word;
  while (in >> word && word != "FIRSTBAD") {
    double v = 0;
    in >> v;
    values[word] = v;
  }
  r.requests = static_cast<std::uint64_t>(values["requests"]);
  if (r.requests > 0) {
    r.processCpuUs = (processCpuSeconds() - cpuBefore) * 1e6 / static_cast<double>(r.requests);
  }
  r.rps = values["duration_us"] > 0 ? values["requests"] / (values["duration_us"] / 1e6) : 0;
  r.p50Ms = values["p50_us"] / 1000.0;
  r.p99Ms = values["p99_us"] / 1000.0;
  r.good = static_cast<std::uint64_t>(values["good"]);
  r.bad = static_cast<std::uint64_t>(values["bad"]);
  r.wraps = static_cast<std::uint64_t>(values["wraps"]);
  r.errors = static_cast<std::uint64_t>(values["errors"]);
  if (const auto b = out.find("FIRSTBAD "); b != std::string::npos) {
    r.firstBad = out.substr(b + 9, out.find('\n', b) - b - 9);
  }
  return r;
}

// --- the hub and its configuration -----------------------------------------------------------

json object(const std::string& kind, const std::string& name, json spec) {
  return {{"apiVersion", "tessera.dev/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

std::string host(int i) {
  return "api-" + std::to_string(i) + ".bench.example.com";
}

// Server workload i and the policy that lets the bench pods reach it.
void addTarget(json& objects, int i) {
  const std::string n = std::to_string(i);
  objects.push_back(object("ServerWorkload", "api-" + n,
                           {{"host", host(i)},
                            {"port", 443},
                            {"protocol", "http"},
                            {"authentication", {{"method", "bearer"}}}}));
  objects.push_back(object("AccessPolicy", "pods-to-api-" + n,
                           {{"clientWorkloads", {"bench-pods"}},
                            {"trustProviders", {{"match", "any"}, {"names", {"bench-cluster"}}}},
                            {"credentialProvider", "api-token"},
                            {"serverWorkload", "api-" + n}}));
}

class BenchHub {
 public:
  BenchHub(const std::string& name, const std::filesystem::path& dir, const jose::Jwk& key,
           int policies, bool grantCache = true, const std::string& algorithm = "RS256") {
    auto config = testing::testHubConfig(name, "sqlite", dir);
    config.server.threads = 2;
    config.grants.cache = grantCache;
    config.server.maxBodyBytes = 1 << 20;
    hub_ = testing::startTestHub(config);
    base_ = "http://127.0.0.1:" + std::to_string(hub_->port());
    admin_ = hub_->adminTokens().create(hub::AdminRole::kAdmin, "bench")->token;
    edge_ = hub_->adminTokens().create(hub::AdminRole::kEdge, "bench edge")->token;

    json objects =
        json::array({object("TrustProvider", "bench-cluster",
                            {{"type", "kubernetes"},
                             {"issuer", kIssuer},
                             {"audiences", {"tessera"}},
                             {"jwks", json{{"keys", {key.toPublicJson()}}}.dump()},
                             {"rules", {{{"attribute", "namespace"}, {"equals", "bench"}}}}}),
                     object("ClientWorkload", "bench-pods",
                            {{"match", {{"attribute", "k8s.podName"}, {"glob", "bench-*"}}}}),
                     object("CredentialProvider", "api-token",
                            {{"type", "oidc-id-token"},
                             {"audience", "https://api.bench.example.com"},
                             {"algorithm", algorithm}})});
    for (int i = 0; i < policies; ++i) {
      if (objects.size() + 2 > kApplyBatch) {
        apply(objects);
        objects = json::array();
      }
      addTarget(objects, i);
    }
    if (!objects.empty()) {
      apply(objects);
    }
  }

  hub::Hub& hub() { return *hub_; }
  std::uint16_t port() const { return hub_->port(); }
  const std::string& edgeToken() const { return edge_; }

  json post(const std::string& path, const std::string& token, const std::string& body) {
    net::ClientRequest r("POST", base_ + path);
    r.withHeader("Authorization", "Bearer " + token);
    r.withMaxResponseBytes(64 << 20).withTimeout(std::chrono::minutes(10));
    r.withBody(body, "application/json");
    auto res = client_->requestBlocking(std::move(r));
    if (!res || res->status != 200) {
      die("POST " + path + " failed: " + (res ? res->body.substr(0, 500) : res.error().describe()));
    }
    return json::parse(res->body);
  }

 private:
  void apply(const json& objects) { post("/v1/apply", admin_, json{{"objects", objects}}.dump()); }

  std::unique_ptr<hub::Hub> hub_;
  std::shared_ptr<net::HttpClient> client_ = *net::HttpClient::create();
  std::string base_, admin_, edge_;
};

std::string accessBody(const std::string& token, int target) {
  return json{{"evidence", {{"tokens", {token}}}},
              {"target", {{"host", host(target)}, {"port", 443}, {"protocol", "http"}}},
              {"context", {{"sourceIp", "10.0.1.7"}, {"hostname", "bench-7d9f"}}}}
      .dump();
}

// A projected service account token of one pod as the kubelet issues them; `serial` makes it
// unique (jti), the way a re-issued token of the same pod differs from the last.
std::string podToken(const jose::Jwk& key, std::uint64_t serial) {
  const auto iat = toUnixSeconds(SystemClock::instance().now()) - 60;
  const std::string s = std::to_string(serial);
  json claims = {{"iss", kIssuer},
                 {"aud", {"tessera"}},
                 {"sub", "system:serviceaccount:bench:worker"},
                 {"iat", iat},
                 {"nbf", iat},
                 {"exp", iat + 3600},
                 {"jti", "bench-" + s},
                 {"kubernetes.io",
                  {{"namespace", "bench"},
                   {"serviceaccount", {{"name", "worker"}, {"uid", "9f1c6a52-sa"}}},
                   {"pod", {{"name", "bench-7d9f"}, {"uid", "5c3e2a10-pod"}}},
                   {"node", {{"name", "ip-10-0-1-7"}, {"uid", "node-uid"}}}}}};
  return *jose::signJwt(key, jose::Algorithm::kRs256, claims);
}

// `count` bodies with distinct tokens, one a line, signed on all cores.
void writeFreshBodies(const std::filesystem::path& file, const jose::Jwk& key,
                      std::uint64_t firstSerial, std::size_t count, int target) {
  std::vector<std::string> bodies(count);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> signers;
  const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned t = 0; t < n; ++t) {
    signers.emplace_back([&] {
      for (std::size_t i = next++; i < count; i = next++) {
        bodies[i] = accessBody(podToken(key, firstSerial + i), target);
      }
    });
  }
  for (auto& t : signers) {
    t.join();
  }
  std::ofstream out(file);
  for (const auto& b : bodies) {
    out << b << '\n';
  }
}

void expectAuthorized(BenchHub& hub, const std::string& body, const std::string& what) {
  const json decision = hub.post(kAccessPath, hub.edgeToken(), body);
  if (decision.value("outcome", "") != "authorized") {
    die(what + ": the sample decision is not authorized: " + decision.dump());
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

struct Figures {
  std::vector<double> rps, p50, p99, cpuUs;
};

void report(std::map<std::string, Figures>& all, const std::string& name, const WrkResult& r,
            const std::string& extra) {
  // The anchors run in other processes: the hub's CPU per request is only printed for hubs.
  const bool hub = name != "nginx" && name != "oidc-provider";
  const std::string cpu = hub ? " hub_cpu_us " + std::to_string(std::lround(r.processCpuUs)) : "";
  std::printf("access %s rps %.0f p50_ms %.3f p99_ms %.3f requests %llu errors %llu%s%s\n",
              name.c_str(), r.rps, r.p50Ms, r.p99Ms, static_cast<unsigned long long>(r.requests),
              static_cast<unsigned long long>(r.errors + r.bad), cpu.c_str(), extra.c_str());
  std::fflush(stdout);
  auto& f = all[name];
  f.rps.push_back(r.rps);
  f.p50.push_back(r.p50Ms);
  f.p99.push_back(r.p99Ms);
  if (hub) {
    f.cpuUs.push_back(r.processCpuUs);
  }
}

// The median line of a case: rps, p50 and p99, and for hubs their CPU per request.
void printMedian(const std::string& name, const Figures& f) {
  std::printf("median %s rps %.0f p50_ms %.3f p99_ms %.3f", name.c_str(), median(f.rps),
              median(f.p50), median(f.p99));
  if (!f.cpuUs.empty()) {
    std::printf(" hub_cpu_us %.0f", median(f.cpuUs));
  }
  std::printf("\n");
}

void requireClean(const std::string& name, const WrkResult& r) {
  if (r.bad != 0 || r.errors != 0 || r.good == 0) {
    die(name + ": " + std::to_string(r.bad) + " answers not 200/expected and " +
        std::to_string(r.errors) + " socket/status errors out of " + std::to_string(r.requests) +
        "; first: " + r.firstBad);
  }
}

int run(const std::filesystem::path& dir) {
  const Settings s;
  std::fprintf(stderr,
               "access_bench: wrk -t%d -c%d -d%ds --latency, %d rounds; policies %d vs %d\n",
               s.threads, s.connections, s.seconds, s.rounds, s.smallPolicies, s.largePolicies);
  const auto key =
      *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "bench-1"});
  const auto script = dir / "access.lua";
  std::ofstream(script) << kWrkScript;

  auto t = SteadyClock::now();
  BenchHub small("access-bench-small", dir / "small", key, s.smallPolicies);
  std::optional<BenchHub> large;
  if (s.runs("large")) {
    large.emplace("access-bench-large", dir / "large", key, s.largePolicies);
  }
  std::fprintf(stderr, "access_bench: hubs configured in %.1f s\n",
               std::chrono::duration<double>(SteadyClock::now() - t).count());

  // The same token for every request; the target is one server workload among many.
  const int smallTarget = s.smallPolicies / 2;
  const int largeTarget = s.largePolicies / 2;
  std::uint64_t serial = 0;
  const std::string cachedToken = podToken(key, serial++);
  const auto cachedBodies = dir / "cached.txt";
  const auto largeBodies = dir / "large.txt";
  std::ofstream(cachedBodies) << accessBody(cachedToken, smallTarget) << '\n';
  std::ofstream(largeBodies) << accessBody(cachedToken, largeTarget) << '\n';
  // Twice: a token enters the verified-token cache at its second verification.
  for (int i = 0; i < 2; ++i) {
    expectAuthorized(small, accessBody(cachedToken, smallTarget), "cached");
  }
  // The first decision after a change compiles the snapshot: 100,000 policies take a while.
  if (large) {
    t = SteadyClock::now();
    expectAuthorized(*large, accessBody(cachedToken, largeTarget), "large");
    std::fprintf(stderr, "access_bench: first decision with %d policies (compiles) %.2f s\n",
                 s.largePolicies, std::chrono::duration<double>(SteadyClock::now() - t).count());
    expectAuthorized(*large, accessBody(cachedToken, largeTarget), "large");
  }

  std::map<std::string, Figures> all;

  bool cacheOk = true;
  for (int round = 0; round < s.rounds; ++round) {
    // nginx: the same wrk settings, a POST of the same size.
    if (s.runs("nginx")) {
      Nginx nginx(dir / "nginx");
      const auto r = runWrk(s, script, nginx.port(), kAccessPath, cachedBodies, "", "ok");
      requireClean("nginx", r);
      report(all, "nginx", r, "");
    }

    // (a) cached token, 10 policies.
    WrkResult r;
    if (s.runs("cached") || s.runs("fresh")) {
      auto before = small.hub().accessService().tokenCacheStats();
      r = runWrk(s, script, small.port(), kAccessPath, cachedBodies, small.edgeToken(),
                 "\"outcome\":\"authorized\"");
      auto after = small.hub().accessService().tokenCacheStats();
      requireClean("cached", r);
      const auto hits = after.hits - before.hits;
      const auto misses = after.misses - before.misses;
      cacheOk = cacheOk && misses <= 1 && hits + 1000 >= r.requests;
      report(all, "cached-token", r,
             " cache_hits " + std::to_string(hits) + " cache_misses " + std::to_string(misses));
    }

    // (b) a fresh token per request: enough for the cached rate (an upper bound) the first
    // time, then for 1.5x the fresh rate measured.
    if (s.runs("fresh")) {
      const double rate = all.contains("fresh-token") ? all["fresh-token"].rps.back() * 1.5 : r.rps;
      const std::size_t freshCount = static_cast<std::size_t>(rate * s.seconds * 1.05) + 1000;
      const auto freshBodies = dir / "fresh.txt";
      t = SteadyClock::now();
      writeFreshBodies(freshBodies, key, serial, freshCount, smallTarget);
      serial += freshCount;
      std::fprintf(stderr, "access_bench: %zu fresh tokens signed in %.1f s\n", freshCount,
                   std::chrono::duration<double>(SteadyClock::now() - t).count());
      const auto before = small.hub().accessService().tokenCacheStats();
      r = runWrk(s, script, small.port(), kAccessPath, freshBodies, small.edgeToken(),
                 "\"outcome\":\"authorized\"");
      const auto after = small.hub().accessService().tokenCacheStats();
      requireClean("fresh", r);
      const auto hits = after.hits - before.hits;
      const auto misses = after.misses - before.misses;
      cacheOk = cacheOk && r.wraps == 0 && hits * 100 <= r.requests && misses + 1000 >= r.requests;
      report(all, "fresh-token", r,
             " cache_hits " + std::to_string(hits) + " cache_misses " + std::to_string(misses) +
                 " wraps " + std::to_string(r.wraps));
      std::filesystem::remove(freshBodies);
    }

    // 100,000 policies, cached token.
    if (large) {
      const auto before = large->hub().accessService().tokenCacheStats();
      r = runWrk(s, script, large->port(), kAccessPath, largeBodies, large->edgeToken(),
                 "\"outcome\":\"authorized\"");
      const auto after = large->hub().accessService().tokenCacheStats();
      requireClean("large", r);
      const auto hits = after.hits - before.hits;
      const auto misses = after.misses - before.misses;
      cacheOk = cacheOk && misses <= 1 && hits + 1000 >= r.requests;
      report(
          all, "large-policies", r,
          " policies " + std::to_string(s.largePolicies) + " cache_hits " + std::to_string(hits));
    }
  }
  for (const char* name : {"nginx", "cached-token", "fresh-token", "large-policies"}) {
    if (!all.contains(name)) {
      continue;
    }
    printMedian(name, all[name]);
  }
  std::printf(
      "settings threads %d connections %d seconds %d rounds %d small_policies %d "
      "large_policies %d cache_ok %d\n",
      s.threads, s.connections, s.seconds, s.rounds, s.smallPolicies, s.largePolicies,
      cacheOk ? 1 : 0);
  if (!cacheOk) {
    std::fprintf(stderr,
                 "access_bench: the verified-token cache did not see what the case "
                 "intends (hits for cached, misses for fresh)\n");
    return 1;
  }
  return 0;
}

// --- grants (issue 5) ------------------------------------------------------------------------

// npm oidc-provider on a free loopback port, stopped with the bench.
class OidcProviderServer {
 public:
  explicit OidcProviderServer(const std::string& secret) : port_(freePort()) {
    const std::string script =
        std::string(TESSERA_SOURCE_DIR) + "/bench/grants/oidc_provider_server.mjs";
    pid_ = spawn({"/usr/bin/node", script, std::to_string(port_), secret}, -1);
    const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
    while (!accepts(port_)) {
      if (SteadyClock::now() > deadline) {
        die("oidc-provider did not start on port " + std::to_string(port_));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~OidcProviderServer() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

// The provider's issue call alone: one thread, no HTTP, no cache, the hub's own signer.
double inProcessRate(hub::Hub& hub, const std::string& algorithm, int seconds) {
  auto services = std::make_shared<credentials::CredentialServices>();
  services->issuer = hub.config().issuer;
  services->sign = [&hub](std::string_view alg, const json& claims) {
    return hub.keys().sign(alg, claims);
  };
  model::ConfigObject object;
  object.kind = model::Kind::kCredentialProvider;
  object.metadata.name = "inprocess";
  object.spec = {{"type", "oidc-id-token"},
                 {"audience", "https://api.bench.example.com"},
                 {"algorithm", algorithm}};
  auto provider = credentials::compileCredentialProvider(object, services);
  if (!provider) {
    die(provider.error().message);
  }
  const auto request = credentials::makeGrantRequest({}, "pods-to-api-0", "bench-pods", "api-0",
                                                     SystemClock::instance().now());
  boost::asio::io_context io;
  std::uint64_t issued = 0;
  std::string failure;
  const auto& p = **provider;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        const auto end = SteadyClock::now() + std::chrono::seconds(seconds);
        while (SteadyClock::now() < end) {
          auto c = co_await p.issue(request);
          if (!c) {
            failure = c.error().message;
            co_return;
          }
          ++issued;
        }
      },
      boost::asio::detached);
  io.run();
  if (!failure.empty()) {
    die("in-process issue failed: " + failure);
  }
  return static_cast<double>(issued) / seconds;
}

int runGrants(const std::filesystem::path& dir) {
  const Settings s;
  std::fprintf(stderr, "access_bench grants: wrk -t%d -c%d -d%ds --latency, %d rounds\n", s.threads,
               s.connections, s.seconds, s.rounds);
  const auto key =
      *jose::Jwk::generate(jose::Algorithm::kRs256, {.rsaBits = 2048, .kid = "bench-1"});
  const auto script = dir / "access.lua";
  std::ofstream(script) << kWrkScript;
  const auto tokenScript = dir / "token.lua";
  std::ofstream(tokenScript) << kTokenWrkScript;
  BenchHub rs256("grants-bench-rs256", dir / "rs256", key, 1, /*grantCache=*/false, "RS256");
  BenchHub es256("grants-bench-es256", dir / "es256", key, 1, /*grantCache=*/false, "ES256");
  const auto bodies = dir / "grant.txt";
  const std::string token = podToken(key, 1);
  std::ofstream(bodies) << accessBody(token, 0) << '\n';
  expectAuthorized(rs256, accessBody(token, 0), "grants-rs256");
  expectAuthorized(es256, accessBody(token, 0), "grants-es256");
  const std::string secret = crypto::randomToken(24);
  OidcProviderServer oidc(secret);
  const std::string basic = crypto::base64UrlEncodeBytes(std::span<const unsigned char>(
      reinterpret_cast<const unsigned char*>(("bench:" + secret).data()), 6 + secret.size()));
  // HTTP Basic wants standard base64: the same alphabet but for '+', '/', and '=' padding.
  std::string standard = basic;
  for (auto& c : standard) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  while (standard.size() % 4 != 0) {
    standard += '=';
  }

  std::map<std::string, Figures> all;
  std::uint64_t issuesBefore = rs256.hub().accessService().grantCacheStats().issues;
  std::uint64_t grantRequests = 0;
  for (int round = 0; round < s.rounds; ++round) {
    auto r = runWrk(s, tokenScript, oidc.port(), "/token", bodies, standard, "access_token");
    requireClean("oidc-provider", r);
    report(all, "oidc-provider", r, "");
    r = runWrk(s, script, rs256.port(), kAccessPath, bodies, rs256.edgeToken(), "\"grant\"");
    requireClean("grants-rs256", r);
    grantRequests += r.requests;
    report(all, "grants-rs256", r, "");
    r = runWrk(s, script, es256.port(), kAccessPath, bodies, es256.edgeToken(), "\"grant\"");
    requireClean("grants-es256", r);
    report(all, "grants-es256", r, "");
  }
  // Cache off: every authorized request was an issue call.
  const auto issued = rs256.hub().accessService().grantCacheStats().issues - issuesBefore;
  for (const char* name : {"oidc-provider", "grants-rs256", "grants-es256"}) {
    printMedian(name, all[name]);
  }
  std::printf("inprocess rs256 per_s %.0f\n", inProcessRate(rs256.hub(), "RS256", s.seconds));
  std::printf("inprocess es256 per_s %.0f\n", inProcessRate(es256.hub(), "ES256", s.seconds));
  std::printf("settings threads %d connections %d seconds %d rounds %d issues_per_request %.3f\n",
              s.threads, s.connections, s.seconds, s.rounds,
              grantRequests ? static_cast<double>(issued) / grantRequests : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const bool grants = argc > 1 && std::string_view(argv[1]) == "grants";
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tessera-access-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  int rc = 1;
  try {
    rc = grants ? runGrants(dir) : run(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "access_bench FAILED: %s\n", e.what());
  }
  std::filesystem::remove_all(dir);
  return rc;
}
