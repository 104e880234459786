#!/usr/bin/env python3
"""docs/quickstart.md stays true: runs the ```sh blocks of its sections 2 and 3 as written, against
`tessera dev` (what `make dev` runs) in a temporary directory shaped like a clone, with the
quickstart's ports (8080 hub, 3128 proxy, 9901 edge admin) replaced by free loopback ports in the
commands and in examples/quickstart, and checks the outputs the page shows.

usage: quickstart_test.py REPO_ROOT   (TESSERA_BIN names the tessera binary)"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    root = os.path.abspath(sys.argv[1])
    tessera = os.environ["TESSERA_BIN"]
    with open(os.path.join(root, "docs", "quickstart.md")) as f:
        page = f.read()
    sections = re.split(r"^## ", page, flags=re.M)
    script = ""
    for section in sections:
        if section.startswith("2.") or section.startswith("3."):
            script += "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))
    if "tessera edge --config" not in script:
        sys.exit("FAIL: no walkthrough found in docs/quickstart.md")
    ports = {"8080": str(free_port()), "3128": str(free_port()), "9901": str(free_port())}

    def localize(text):
        for old, new in ports.items():
            text = re.sub(rf"(?<=:){old}\b", new, text)
            text = re.sub(rf"(?<=port: ){old}\b", new, text)
        return text

    with tempfile.TemporaryDirectory() as clone:
        os.makedirs(os.path.join(clone, "build/release/apps/tessera"))
        os.symlink(tessera, os.path.join(clone, "build/release/apps/tessera/tessera"))
        shutil.copytree(os.path.join(root, "examples"), os.path.join(clone, "examples"))
        for name in ("objects.yaml", "edge.yaml"):
            path = os.path.join(clone, "examples", "quickstart", name)
            with open(path) as f:
                text = localize(f.read())
            with open(path, "w") as f:
                f.write(text)
        hub_url = f"http://127.0.0.1:{ports['8080']}"
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()
               and not k.startswith("TESSERA_")}
        hub = subprocess.Popen([tessera, "dev", "--data-dir", "./.tessera-dev", "--listen",
                                f"127.0.0.1:{ports['8080']}"], cwd=clone, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(hub_url + "/readyz", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline or hub.poll() is not None:
                        sys.exit("FAIL: tessera dev did not start")
                    time.sleep(0.2)
            env["TESSERA_HUB"] = hub_url  # only for the CLI's default: the page relies on 8080
            env["TMPDIR"] = clone         # the page's mktemp -d
            run = subprocess.run(["bash", "-c", localize(script) + "\nkill %1\nwait\n"], cwd=clone,
                                 env=env, capture_output=True, text=True, timeout=120)
        finally:
            hub.terminate()
            hub.wait(30)
    out = run.stdout + run.stderr
    print(run.stdout)
    print(run.stderr)
    expected = [
        f"http://127.0.0.1:{ports['8080']}\n",
        "13 objects: 13 created, 0 updated, 0 unchanged; revision 1",
        "invoice-worker-to-s3   s3-invoices",
        "6 objects: 6 created, 0 updated, 0 unchanged; revision 2",
        "edge.yaml is valid",
        '"hub":"reachable"',
        "401\n",
        "create ServerWorkload/hub-by-name\n",
        "HTTP/1.1 403 Forbidden",
        "Tessera-Error: permission_denied",
        "NoPolicy: no enabled access policy grants access to server workload hub-by-name",
        "unauthorized NoPolicy null -> hub-by-name\nauthorized Authorized demo-pod -> hub-audit-api\n0\n",
    ]
    missing = [e for e in expected if e not in out]
    for e in missing:
        print("FAIL: the output lacks", repr(e))
    if missing:
        sys.exit(1)
    print("docs/quickstart.md: the walkthrough works as written")


if __name__ == "__main__":
    main()
