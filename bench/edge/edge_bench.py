#!/usr/bin/env python3
"""make bench (the edge's data path): throughput and latency of plain-HTTP requests through
the edge (`tessera-edge`, the sidecar binary; explicit proxy, absolute-form requests, bearer injected from a cached grant of a
static-secret provider) beside nginx as a reverse proxy setting the same Authorization header,
both in front of the same upstream (a second nginx answering a small fixed 200), both loaded by
wrk with the same settings in the same run, rounds interleaved.

Before measuring, one request through each path must reach the upstream with the bearer (the
upstream echoes the Authorization it received in X-Upstream-Authorization). While wrk loads the
edge, its VmRSS is sampled every 100 ms; idle RSS is read after start (before any request) and
after the warm-up request (grant held, before load).

Targets (the edge issue): requests/s >= 1.0x nginx's, p99 <= nginx's; edge RSS <= 10 MB idle and
<= 20 MB under load. Exit status 0 when all are met.

Environment: TESSERA_BIN (build/release/apps/tessera/tessera: the hub), TESSERA_EDGE_BIN (the
sidecar binary tessera-edge beside it; `tessera edge` when it is not built), BENCH_EDGE_SECONDS (10),
BENCH_EDGE_THREADS (2, wrk threads), BENCH_EDGE_CONNECTIONS (64), BENCH_EDGE_ROUNDS (3),
BENCH_EDGE_WORKERS (2: the edge's `threads` and the nginx proxy's worker_processes),
BENCH_EDGE_MALLOC_ARENA_MAX (unset: glibc's default; set it to run the edge with that
MALLOC_ARENA_MAX), BENCH_EDGE_CASES (nginx,edge).
Machine-readable lines: `round <case> <n> rps .. p50_ms .. p99_ms .. cpu_us .. requests ..
errors ..`, `median <case> rps .. p50_ms .. p99_ms .. cpu_us ..` (cpu_us: the proxy's CPU time per
request), `rss idle_kb .. warm_kb .. peak_kb ..`."""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TESSERA_BIN",
                      os.path.join(ROOT, "build", "release", "apps", "tessera", "tessera"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from hub_under_test import OPENER, TESSERA, Hub, free_port, obj  # noqa: E402
from standin_testing import LocalIssuer  # noqa: E402  (on the path through hub_under_test)

# The sidecar binary (tessera-edge: the edge without the hub) when it is built, else `tessera edge`.
EDGE_BIN = os.environ.get("TESSERA_EDGE_BIN",
                          os.path.join(os.path.dirname(TESSERA), "tessera-edge"))
EDGE_COMMAND = [EDGE_BIN] if os.access(EDGE_BIN, os.X_OK) else [TESSERA, "edge"]
SECONDS = int(os.environ.get("BENCH_EDGE_SECONDS", "10"))
THREADS = int(os.environ.get("BENCH_EDGE_THREADS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_EDGE_CONNECTIONS", "64"))
ROUNDS = int(os.environ.get("BENCH_EDGE_ROUNDS", "3"))
WORKERS = int(os.environ.get("BENCH_EDGE_WORKERS", "2"))
ARENA_MAX = os.environ.get("BENCH_EDGE_MALLOC_ARENA_MAX", "")
CASES = os.environ.get("BENCH_EDGE_CASES", "nginx,edge").split(",")
SECRET = "bench-upstream-bearer-3c9e51d2a7"

# wrk: one pre-formatted GET (absolute-form for the edge, origin-form for nginx) and a summary
# line; no response() callback, so that wrk does the same (little) work for both.
WRK_SCRIPT = r"""
local req
function init(args)
  req = wrk.format("GET", args[1])
end
function request()
  return req
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests %d duration_us %d p50_us %d p99_us %d errors %d status_errors %d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def nginx_conf(d, port, body, workers):
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    # master_process off runs one process; several workers need the master.
    master = "on" if workers > 1 else "off"
    return (f"daemon off;\nmaster_process {master};\nworker_processes {workers};\n"
            f"pid {d}/nginx.pid;\nerror_log {d}/logs/error.log warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n  access_log off;\n  keepalive_requests 100000000;\n"
            f"  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n"
            f"  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n"
            f"  scgi_temp_path {d}/scgi;\n{body}\n"
            f"  server {{\n    listen 127.0.0.1:{port};\n")


def start_nginx(d, port, conf):
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    proc = subprocess.Popen(["/usr/sbin/nginx", "-c", path, "-p", d + "/"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_accepting(port, proc, lambda: open(os.path.join(d, "logs", "error.log")).read())
    return proc


def wait_accepting(port, proc, log, seconds=30):
    import socket
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited at start:\n{log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing accepts on 127.0.0.1:{port}:\n{log()}")


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def vm_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_breakdown(pid):
    """VmRSS split as the kernel counts it: RssAnon (heap, stacks), RssFile (mapped binary and
    libraries' pages), RssShmem; kB."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("RssAnon:", "RssFile:", "RssShmem:", "Threads:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def tree_pids(pid):
    """`pid` and its children (nginx with a master: the workers)."""
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(child) for child in f.read().split()]
    except OSError:
        pass
    return pids


def tree_rss_kb(pid):
    """VmRSS of `pid` plus its children's."""
    return sum(vm_rss_kb(p) for p in tree_pids(pid))


def cpu_seconds(pid):
    """(utime, stime) of one process, seconds ((0, 0) once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick
    except OSError:
        return 0.0, 0.0


def tree_cpu_seconds(pid):
    """(utime, stime) of `pid` and its children, seconds."""
    times = [cpu_seconds(p) for p in tree_pids(pid)]
    return sum(t[0] for t in times), sum(t[1] for t in times)


class RssSampler:
    """Samples VmRSS of a process tree every 100 ms while running; peak in kB."""

    def __init__(self, pid):
        self.pid, self.peak, self.stopped = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped.is_set():
            self.peak = max(self.peak, tree_rss_kb(self.pid))
            self.stopped.wait(0.1)

    def finish(self):
        self.stopped.set()
        self.thread.join()
        self.peak = max(self.peak, tree_rss_kb(self.pid))
        return self.peak


def curl(proxy, url):
    """(status line, X-Upstream-Authorization) of one GET, through `proxy` when given."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    args = ["curl", "-sS", "-i", "--max-time", "20", url] + (["-x", proxy] if proxy else [])
    out = subprocess.run(args, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"curl {' '.join(args)} failed: {out.stderr}")
    lines = out.stdout.splitlines()
    seen = [ln.split(":", 1)[1].strip() for ln in lines
            if ln.lower().startswith("x-upstream-authorization:")]
    return lines[0], (seen[0] if seen else "")


def run_wrk(script, url, target):
    out = subprocess.run(["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s",
                          "--timeout", "10s", "-s", script, url, "--", target],
                         capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError("wrk printed no result:\n" + out)
    parts = line.split()[1:]
    v = {parts[i]: float(parts[i + 1]) for i in range(0, len(parts), 2)}
    return {"rps": v["requests"] / (v["duration_us"] / 1e6), "p50_ms": v["p50_us"] / 1000,
            "p99_ms": v["p99_us"] / 1000, "requests": int(v["requests"]),
            "errors": int(v["errors"] + v["status_errors"])}


def main():
    if not os.access(TESSERA, os.X_OK):
        print(f"edge_bench: {TESSERA} is not built (cmake --build --preset release)")
        return 2
    tmp = tempfile.TemporaryDirectory()
    d = tmp.name
    procs, hub, cluster = [], None, None
    try:
        # The upstream: a fixed small 200 echoing the Authorization it received.
        up_dir = os.path.join(d, "upstream")
        up_port = free_port()
        procs.append(start_nginx(up_dir, up_port, nginx_conf(up_dir, up_port, "", 1) + (
            "    location / {\n"
            "      add_header X-Upstream-Authorization $http_authorization always;\n"
            "      return 200 \"ok\\n\";\n    }\n  }\n}\n")))
        # nginx as the reverse proxy: the same header, keepalive to the upstream.
        px_dir = os.path.join(d, "proxy")
        px_port = free_port()
        nginx_proxy = start_nginx(px_dir, px_port, nginx_conf(
            px_dir, px_port, f"  upstream backend {{ server 127.0.0.1:{up_port}; keepalive 64; }}",
            WORKERS) + (
            "    location / {\n      proxy_pass http://backend;\n"
            "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n"
            f"      proxy_set_header Authorization \"Bearer {SECRET}\";\n    }}\n  }}\n}}\n"))
        procs.append(nginx_proxy)

        # The hub: a static-secret bearer for the upstream, one policy.
        cluster = LocalIssuer()
        hub = Hub()
        hub.start()
        hub.apply([
            obj("TrustProvider", "cluster", {"type": "oidc", "issuer": cluster.url,
                                             "audiences": ["tessera"]}),
            obj("ClientWorkload", "bench-pod",
                {"match": {"attribute": "oidc.sub", "equals": "pod/bench"}}),
            obj("CredentialProvider", "upstream-bearer",
                {"type": "static-secret", "secretType": "bearer-token", "value": SECRET}),
            obj("ServerWorkload", "upstream", {
                "host": "127.0.0.1", "port": up_port, "protocol": "http",
                "tls": {"enabled": False}, "authentication": {"method": "bearer"}}),
            obj("AccessPolicy", "bench-pod-to-upstream", {
                "clientWorkloads": ["bench-pod"],
                "trustProviders": {"match": "any", "names": ["cluster"]},
                "credentialProvider": "upstream-bearer", "serverWorkload": "upstream"}),
        ])

        # The edge (release build): explicit proxy, the pod's token as evidence, info logging.
        edge_dir = os.path.join(d, "edge")
        os.makedirs(edge_dir)
        with open(os.path.join(edge_dir, "pod-token"), "w") as f:
            f.write(cluster.sign(cluster.claims("pod/bench", "tessera", lifetime=3600)) + "\n")
        with open(os.path.join(edge_dir, "edge-token"), "w") as f:
            f.write(hub.edge + "\n")
        os.chmod(os.path.join(edge_dir, "edge-token"), 0o600)
        edge_port, admin_port = free_port(), free_port()
        with open(os.path.join(edge_dir, "edge.yaml"), "w") as f:
            f.write(f"hub: {{url: \"{hub.url}\", tokenFile: edge-token}}\n"
                    "evidence: {tokenFiles: [pod-token]}\n"
                    f"proxy: {{listen: \"127.0.0.1:{edge_port}\"}}\n"
                    f"admin: {{listen: \"127.0.0.1:{admin_port}\"}}\n"
                    f"threads: {WORKERS}\nlog: {{level: info}}\n")
        env = dict(os.environ)
        if ARENA_MAX:
            env["MALLOC_ARENA_MAX"] = ARENA_MAX
        edge_log = open(os.path.join(edge_dir, "edge.log"), "w")
        edge = subprocess.Popen(EDGE_COMMAND + ["--config",
                                                os.path.join(edge_dir, "edge.yaml")], cwd=edge_dir,
                                stdout=edge_log, stderr=subprocess.STDOUT, env=env)
        procs.append(edge)

        def edge_log_text():
            edge_log.flush()
            return open(os.path.join(edge_dir, "edge.log")).read()
        wait_accepting(edge_port, edge, edge_log_text)
        deadline = time.monotonic() + 30
        while json.loads(OPENER.open(f"http://127.0.0.1:{admin_port}/healthz",
                                     timeout=2).read()).get("routesRevision", -1) < 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the edge never loaded its routes:\n" + edge_log_text())
            time.sleep(0.1)
        time.sleep(1.0)
        idle_kb = vm_rss_kb(edge.pid)
        idle_parts = rss_breakdown(edge.pid)

        # Correctness first: each path reaches the upstream with the bearer.
        upstream_url = f"http://127.0.0.1:{up_port}/"
        status, seen = curl(f"http://127.0.0.1:{edge_port}", upstream_url)
        if " 200" not in status or seen != f"Bearer {SECRET}":
            raise RuntimeError(f"through the edge: {status!r}, upstream saw {seen!r}\n"
                               + edge_log_text())
        status, seen = curl(None, f"http://127.0.0.1:{px_port}/")
        if " 200" not in status or seen != f"Bearer {SECRET}":
            raise RuntimeError(f"through nginx: {status!r}, upstream saw {seen!r}")
        time.sleep(0.5)
        warm_kb = vm_rss_kb(edge.pid)
        print("verified: the upstream received the bearer through nginx and through the edge "
              "(grant held)")

        script = os.path.join(d, "bench.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)
        results = {c: [] for c in CASES}
        peak_kb, nginx_peak_kb = 0, 0
        for r in range(ROUNDS):
            for case in CASES:
                pid = nginx_proxy.pid if case == "nginx" else edge.pid
                sampler = RssSampler(pid)
                cpu_before = tree_cpu_seconds(pid)
                if case == "nginx":
                    res = run_wrk(script, f"http://127.0.0.1:{px_port}/", "/")
                    nginx_peak_kb = max(nginx_peak_kb, sampler.finish())
                else:
                    res = run_wrk(script, f"http://127.0.0.1:{edge_port}/", upstream_url)
                    peak_kb = max(peak_kb, sampler.finish())
                cpu_after = tree_cpu_seconds(pid)
                per_request = 1e6 / max(1, res["requests"])
                res["user_us"] = (cpu_after[0] - cpu_before[0]) * per_request
                res["sys_us"] = (cpu_after[1] - cpu_before[1]) * per_request
                res["cpu_us"] = res["user_us"] + res["sys_us"]
                results[case].append(res)
                print(f"round {case} {r + 1} rps {res['rps']:.0f} p50_ms {res['p50_ms']:.3f} "
                      f"p99_ms {res['p99_ms']:.3f} cpu_us {res['cpu_us']:.1f} user_us "
                      f"{res['user_us']:.1f} sys_us {res['sys_us']:.1f} requests {res['requests']} "
                      f"errors {res['errors']}", flush=True)
                if res["errors"]:
                    raise RuntimeError(f"{case}: {res['errors']} failed requests\n"
                                       + (edge_log_text()[-3000:] if case == "edge" else ""))
        after_kb = vm_rss_kb(edge.pid)
        after_parts = rss_breakdown(edge.pid)
        metrics = OPENER.open(f"http://127.0.0.1:{admin_port}/metrics", timeout=5).read().decode()
        injections = next((ln.split()[-1] for ln in metrics.splitlines()
                           if ln.startswith('tessera_edge_injections_total{method="bearer"}')), "0")
        misses = next((ln.split()[-1] for ln in metrics.splitlines()
                       if ln.startswith('tessera_edge_grant_requests_total{result="miss"}')), "0")
    finally:
        for p in reversed(procs):
            stop(p)
        if hub is not None:
            hub.stop()
        if cluster is not None:
            cluster.server.shutdown()
        tmp.cleanup()

    med = {c: {k: statistics.median(x[k] for x in results[c])
               for k in ("rps", "p50_ms", "p99_ms", "cpu_us", "user_us", "sys_us")}
           for c in CASES}
    for c in CASES:
        print(f"median {c} rps {med[c]['rps']:.0f} p50_ms {med[c]['p50_ms']:.3f} "
              f"p99_ms {med[c]['p99_ms']:.3f} cpu_us {med[c]['cpu_us']:.1f} "
              f"user_us {med[c]['user_us']:.1f} sys_us {med[c]['sys_us']:.1f}")
    print(f"rss idle_kb {idle_kb} warm_kb {warm_kb} peak_kb {peak_kb} after_kb {after_kb} "
          f"nginx_proxy_peak_kb {nginx_peak_kb}")
    print("rss_parts idle " + " ".join(f"{k} {v}" for k, v in idle_parts.items()) + " after "
          + " ".join(f"{k} {v}" for k, v in after_parts.items()))
    if "nginx" not in med or "edge" not in med:
        return 0
    edge_name = " ".join(os.path.basename(c) for c in EDGE_COMMAND)
    print(f"\nthe edge's data path: GET through `{edge_name}` (explicit proxy, absolute-form, "
          f"bearer injected from a cached grant; threads: {WORKERS}"
          f"{', MALLOC_ARENA_MAX=' + ARENA_MAX if ARENA_MAX else ''}) vs nginx as a reverse proxy "
          f"setting the same Authorization (worker_processes {WORKERS}, upstream keepalive), both "
          f"to one nginx upstream (1 worker, fixed 200); wrk -t{THREADS} -c{CONNECTIONS} "
          f"-d{SECONDS}s, medians of {ROUNDS} interleaved rounds; {os.cpu_count()} cores shared "
          f"by wrk, the proxy and the upstream; load average {os.getloadavg()[0]:.2f} at the end")
    n, e = med["nginx"], med["edge"]
    spread = {c: (min(x["rps"] for x in results[c]), max(x["rps"] for x in results[c]))
              for c in CASES}
    print(f"{'case':<40}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/req':>12}  "
          "req/s range over rounds")
    print(f"{'nginx reverse proxy (anchor)':<40}{n['rps']:>10,.0f}{n['p50_ms']:>9.2f}"
          f"{n['p99_ms']:>9.2f}{n['cpu_us']:>12.1f}  "
          f"{spread['nginx'][0]:,.0f}..{spread['nginx'][1]:,.0f}")
    print(f"{'tessera edge, bearer from cached grant':<40}{e['rps']:>10,.0f}{e['p50_ms']:>9.2f}"
          f"{e['p99_ms']:>9.2f}{e['cpu_us']:>12.1f}  "
          f"{spread['edge'][0]:,.0f}..{spread['edge'][1]:,.0f}")
    print("CPU us/req: the proxy's own CPU time (user + system, all its processes) per request")
    rps_ratio = e["rps"] / n["rps"] if n["rps"] else 0.0
    p99_ratio = e["p99_ms"] / n["p99_ms"] if n["p99_ms"] else float("inf")
    checks = [("throughput edge / nginx >= 1.0", f"{rps_ratio:.3f}", rps_ratio >= 1.0),
              ("p99 edge / nginx <= 1.0", f"{p99_ratio:.3f}", p99_ratio <= 1.0),
              ("edge RSS idle <= 10 MB", f"{idle_kb / 1024:.1f} MB (after the first request "
               f"{warm_kb / 1024:.1f} MB)", max(idle_kb, warm_kb) <= 10 * 1024),
              ("edge RSS peak under load <= 20 MB", f"{peak_kb / 1024:.1f} MB (nginx proxy "
               f"{nginx_peak_kb / 1024:.1f} MB)", peak_kb <= 20 * 1024)]
    for label, value, met in checks:
        print(f"{label:<40}{value:>40}  {'PASS' if met else 'MISS'}")
    print(f"edge metrics: bearer injections {injections}, grant cache misses {misses} (the "
          "warm-up request)")
    ok = all(met for _, _, met in checks)
    print("edge targets met" if ok else "edge targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
