#!/usr/bin/env python3
"""Static checks of deploy/: no cluster, no systemd, nothing bound.

usage: check_deploy.py kubernetes|systemd|dockerfile REPO_ROOT
       (TESSERA_BIN names the tessera binary, TESSERA_EDGE_BIN the tessera-edge binary)

kubernetes: every manifest parses; every mounted volume is defined; every ConfigMap referenced
exists in the manifests; every Secret referenced is in deploy/kubernetes/README.md's list; probes
and Service targetPorts name container ports; the edge.yaml of a ConfigMap passes `tessera edge
--check`; the hub.yaml of a ConfigMap uses only fields of docs/configuration.md's hub.yaml table
(the hub has no --check mode); the edge sidecar's token is projected with audience tessera; the
app container has the explicit-proxy and CA environment; containers are non-root, read-only and
drop every capability.
systemd: `systemd-analyze verify` (when installed) and the hardening keys of both units.
dockerfile: for every shared library the built binaries need (their DT_NEEDED entries), the
runtime stage installs the Debian package that holds it and the build stage the package that
holds its link-time `.so` (dpkg -S on this machine, which has the same Debian 12 packages); glibc,
libstdc++ and libgcc come with the base image.
"""
import configparser
import os
import re
import subprocess
import sys
import tempfile

errors = []
CONFIGMAPS = {}


def fail(msg):
    errors.append(msg)


def check_kubernetes(root):
    import yaml  # Debian python3-yaml (scripts/bootstrap)

    kdir = os.path.join(root, "deploy", "kubernetes")
    docs = []
    for name in sorted(os.listdir(kdir)):
        if name.endswith(".yaml"):
            with open(os.path.join(kdir, name)) as f:
                for d in yaml.safe_load_all(f):
                    if d:
                        docs.append((name, d))
    if not docs:
        fail("no manifests in deploy/kubernetes")
    with open(os.path.join(kdir, "README.md")) as f:
        readme = f.read()
    operator_secrets = {(m.group(1), m.group(2))
                        for m in re.finditer(r"^\| `([a-z0-9-]+)` \| ([a-z0-9-]+) \|", readme, re.M)}
    if not operator_secrets:
        fail("README.md lists no operator secrets")

    def ns(d):
        return d.get("metadata", {}).get("namespace", "default")

    configmaps = {(ns(d), d["metadata"]["name"]): d for _, d in docs if d["kind"] == "ConfigMap"}
    CONFIGMAPS.update({n: d for (_, n), d in configmaps.items()})
    namespaces = {d["metadata"]["name"] for _, d in docs if d["kind"] == "Namespace"}
    used_secrets = set()
    pods = []
    for f, d in docs:
        if d["kind"] != "Namespace" and ns(d) not in namespaces:
            fail(f"{f}: {d['kind']}/{d['metadata']['name']} is in namespace {ns(d)}, not defined here")
        if d["kind"] == "Deployment":
            spec = d["spec"]
            labels = spec["template"]["metadata"]["labels"]
            for k, v in spec["selector"]["matchLabels"].items():
                if labels.get(k) != v:
                    fail(f"{f}: Deployment/{d['metadata']['name']} selector {k}={v} does not match its pods")
            pods.append((f, d, spec["template"]["spec"]))

    def check_ref_cm(f, namespace, name):
        if (namespace, name) not in configmaps:
            fail(f"{f}: ConfigMap {namespace}/{name} is referenced but not defined")

    def check_ref_secret(f, namespace, name):
        used_secrets.add((name, namespace))
        if (name, namespace) not in operator_secrets:
            fail(f"{f}: Secret {namespace}/{name} is not in deploy/kubernetes/README.md's list")

    for f, d, pod in pods:
        namespace = ns(d)
        dname = d["metadata"]["name"]
        sa = pod.get("serviceAccountName")
        if sa and not any(x["kind"] == "ServiceAccount" and x["metadata"]["name"] == sa and ns(x) == namespace
                          for _, x in docs):
            fail(f"{f}: {dname}: ServiceAccount {sa} is not defined")
        psc = pod.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True:
            fail(f"{f}: {dname}: pod securityContext.runAsNonRoot is not true")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for v in volumes.values():
            if "configMap" in v:
                check_ref_cm(f, namespace, v["configMap"]["name"])
            if "secret" in v:
                check_ref_secret(f, namespace, v["secret"]["secretName"])
            for src in v.get("projected", {}).get("sources", []):
                if "configMap" in src:
                    check_ref_cm(f, namespace, src["configMap"]["name"])
                if "secret" in src:
                    check_ref_secret(f, namespace, src["secret"]["name"])
        mounted = set()
        for c in pod["containers"]:
            cname = f"{dname}/{c['name']}"
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            for m in c.get("volumeMounts", []):
                mounted.add(m["name"])
                if m["name"] not in volumes:
                    fail(f"{f}: {cname} mounts volume {m['name']}, which is not defined")
            for e in c.get("env", []):
                ref = e.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    check_ref_secret(f, namespace, ref["secretKeyRef"]["name"])
                if "configMapKeyRef" in ref:
                    check_ref_cm(f, namespace, ref["configMapKeyRef"]["name"])
            for probe in ("livenessProbe", "readinessProbe"):
                p = c.get(probe)
                if c["image"].startswith("ghcr.io/tessera/") and not p:
                    fail(f"{f}: {cname} has no {probe}")
                if p and "httpGet" in p:
                    port = p["httpGet"]["port"]
                    if port not in ports and port not in ports.values():
                        fail(f"{f}: {cname} {probe} port {port} is not a container port")
            sc = c.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True:
                fail(f"{f}: {cname} readOnlyRootFilesystem is not true")
            if sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{f}: {cname} allowPrivilegeEscalation is not false")
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                fail(f"{f}: {cname} does not drop ALL capabilities")
            if "requests" not in c.get("resources", {}):
                fail(f"{f}: {cname} has no resource requests")
            args = c.get("args", [])
            if args[:1] in (["hub"], ["edge"]):
                check_tessera_container(f, cname, namespace, c, args, volumes, configmaps)
        for v in volumes:
            if v not in mounted:
                fail(f"{f}: {dname}: volume {v} is defined but mounted by no container")
        check_sidecar_pod(f, dname, pod, volumes)

    for f, d in docs:
        if d["kind"] != "Service":
            continue
        sel = d["spec"]["selector"]
        targets = [(pf, pd, pod) for pf, pd, pod in pods if ns(pd) == ns(d) and
                   all(pd["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in sel.items())]
        if not targets:
            fail(f"{f}: Service/{d['metadata']['name']} selects no Deployment")
        for sp in d["spec"]["ports"]:
            tp = sp.get("targetPort", sp["port"])
            for _, pd, pod in targets:
                ports = {p.get("name"): p["containerPort"] for c in pod["containers"] for p in c.get("ports", [])}
                if tp not in ports and tp not in ports.values():
                    fail(f"{f}: Service/{d['metadata']['name']} targetPort {tp} is no container port of "
                         f"{pd['metadata']['name']}")
    for name, namespace in operator_secrets - used_secrets:
        fail(f"README.md lists Secret {namespace}/{name}, which no manifest uses")


def mount_path_of(c, volumes, path):
    """The (volume, key-or-None) that provides `path` in container c, or None."""
    best = None
    for m in c.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best[0]):
                best = (mp, m["name"])
    if best is None:
        return None
    return best[1], path[len(best[0]) + 1:] or None


def check_tessera_container(f, cname, namespace, c, args, volumes, configmaps):
    """The --config file comes from a ConfigMap; validate it; every file it names is mounted."""
    import yaml

    if "--config" not in args:
        fail(f"{f}: {cname} runs tessera {args[0]} without --config")
        return
    path = args[args.index("--config") + 1]
    found = mount_path_of(c, volumes, path)
    if not found or "configMap" not in volumes.get(found[0], {}):
        fail(f"{f}: {cname}: {path} is not in a mounted ConfigMap")
        return
    cm = configmaps.get((namespace, volumes[found[0]]["configMap"]["name"]))
    if not cm or found[1] not in cm.get("data", {}):
        fail(f"{f}: {cname}: ConfigMap has no key {found[1]}")
        return
    text = cm["data"][found[1]]
    config = yaml.safe_load(text)
    env = {e["name"] for e in c.get("env", [])}
    files = []
    if args[0] == "edge":
        check_edge_yaml(f, cname, text)
        files += [config["hub"].get("tokenFile"), config["hub"].get("caBundle")]
        files += [config.get("tls", {}).get("caCertFile"), config.get("tls", {}).get("caKeyFile")]
        files += config.get("evidence", {}).get("tokenFiles", [])
        admin_port = int(config.get("admin", {}).get("listen", "127.0.0.1:9901").rsplit(":", 1)[1])
        ports = [p["containerPort"] for p in c.get("ports", [])]
        if admin_port not in ports:
            fail(f"{f}: {cname}: admin.listen port {admin_port} is not a container port")
        if not config.get("admin", {}).get("listen", "127.").startswith("0.0.0.0"):
            fail(f"{f}: {cname}: admin.listen is not reachable by the kubelet's probes")
    else:
        check_hub_yaml(f, cname, config)
        tls = config.get("server", {}).get("tls", {})
        files += [tls.get("certFile"), tls.get("keyFile"), config.get("keyEncryptionKey", {}).get("file")]
        kek_env = config.get("keyEncryptionKey", {}).get("env")
        if kek_env and kek_env not in env:
            fail(f"{f}: {cname}: keyEncryptionKey.env {kek_env} is not in the container's env")
        pg = config.get("store", {}).get("postgres", {}).get("url")
        if pg is not None:
            if re.search(r"://[^/@]*:[^/@]*@", pg) or "password=" in pg:
                fail(f"{f}: {cname}: store.postgres.url holds a password")
            if "PGPASSWORD" not in env:
                fail(f"{f}: {cname}: PostgreSQL store without PGPASSWORD in env")
        listen_port = int(config.get("server", {}).get("listen", "127.0.0.1:8080").rsplit(":", 1)[1])
        if listen_port not in [p["containerPort"] for p in c.get("ports", [])]:
            fail(f"{f}: {cname}: server.listen port {listen_port} is not a container port")
    for p in filter(None, files):
        if not mount_path_of(c, volumes, p):
            fail(f"{f}: {cname}: {p} (named in its configuration) is on no mounted volume")


def check_sidecar_pod(f, dname, pod, volumes):
    """A pod with an edge sidecar: projected token for the edge, proxy and CA environment for the app."""
    import yaml

    edges = [c for c in pod["containers"] if c.get("args", [])[:1] == ["edge"]]
    if not edges:
        return
    edge = edges[0]
    cfg_path = edge["args"][edge["args"].index("--config") + 1]
    vol, key = mount_path_of(edge, volumes, cfg_path)
    cm = CONFIGMAPS[volumes[vol]["configMap"]["name"]]
    config = yaml.safe_load(cm["data"][key])
    proxy = "http://" + config["proxy"]["listen"]
    for tf in config.get("evidence", {}).get("tokenFiles", []):
        v, k = mount_path_of(edge, volumes, tf) or (None, None)
        sources = volumes.get(v, {}).get("projected", {}).get("sources", [])
        sat = [x["serviceAccountToken"] for x in sources if "serviceAccountToken" in x
               and x["serviceAccountToken"]["path"] == k]
        if not sat:
            fail(f"{f}: {dname}: evidence token {tf} is not a projected service-account token")
        elif sat[0].get("audience") != "tessera" or sat[0].get("expirationSeconds") != 3600:
            fail(f"{f}: {dname}: the projected token is not audience tessera, 3600 s")
    ca_cert = config.get("tls", {}).get("caCertFile")
    for c in pod["containers"]:
        if c is edge:
            continue
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        for var in ("HTTP_PROXY", "HTTPS_PROXY"):
            if env.get(var) != proxy:
                fail(f"{f}: {dname}/{c['name']}: {var} is {env.get(var)}, the edge proxy is {proxy}")
        no_proxy = env.get("NO_PROXY", "")
        for name in ("127.0.0.1", "localhost", ".svc", ".cluster.local"):
            if name not in no_proxy.split(","):
                fail(f"{f}: {dname}/{c['name']}: NO_PROXY lacks {name}")
        for var in ("SSL_CERT_FILE", "AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
            path = env.get(var)
            if path != ca_cert:
                fail(f"{f}: {dname}/{c['name']}: {var} is {path}, the edge CA is {ca_cert}")
            elif not mount_path_of(c, volumes, path):
                fail(f"{f}: {dname}/{c['name']}: {var} ({path}) is on no mounted volume")
        for m in c.get("volumeMounts", []):
            v = volumes.get(m["name"], {})
            secret = v.get("secret", {})
            items = [i["key"] for i in secret.get("items", [])]
            if secret and (not items or any(k.endswith(".key") for k in items)):
                fail(f"{f}: {dname}/{c['name']}: mounts Secret {secret['secretName']} with its keys")


def check_edge_yaml(f, cname, text):
    tessera = os.environ.get("TESSERA_BIN")
    if not tessera:
        fail("TESSERA_BIN is not set: cannot run `tessera edge --check`")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "edge.yaml")
        with open(path, "w") as out:
            out.write(text)
        r = subprocess.run([tessera, "edge", "--config", path, "--check"], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"{f}: {cname}: tessera edge --check: {r.stdout}{r.stderr}")
        else:
            print(f"{f}: {cname}: edge.yaml: {r.stdout.strip()}")


def hub_fields(root):
    """Field paths of docs/configuration.md's hub.yaml table."""
    with open(os.path.join(root, "docs", "configuration.md")) as f:
        text = f.read()
    section = text.split("## hub.yaml", 1)[1].split("\n## ", 1)[0]
    fields = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            fields.update(re.findall(r"`([A-Za-z.]+)`", first))
    return fields


def check_hub_yaml_with_tessera(f, cname, config):
    """There is no `tessera hub --check`, but `tessera keys list --config` validates the whole
    file (fields, values, cross-field rules) before it reads the KEK or opens the store. Run it
    on a copy whose store and KEK point nowhere usable (a temporary SQLite path, a missing KEK
    file, PostgreSQL on 127.0.0.1:1), so it can only stop at the KEK or the store: any other
    error is a configuration error."""
    import copy
    import yaml

    tessera = os.environ.get("TESSERA_BIN")
    if not tessera:
        fail("TESSERA_BIN is not set: cannot validate hub.yaml with tessera")
        return
    config = copy.deepcopy(config)
    with tempfile.TemporaryDirectory() as tmp:
        store = config.get("store", {})
        if "sqlite" in store:
            store["sqlite"]["path"] = os.path.join(tmp, "state", "hub.db")
        if "postgres" in store:
            store["postgres"]["url"] = "postgresql://tessera@127.0.0.1:1/tessera?connect_timeout=2"
        kek = config.get("keyEncryptionKey", {})
        if "file" in kek:
            kek["file"] = os.path.join(tmp, "missing-kek")
        path = os.path.join(tmp, "hub.yaml")
        with open(path, "w") as out:
            yaml.safe_dump(config, out)
        env = {k: v for k, v in os.environ.items() if k != kek.get("env")}
        r = subprocess.run([tessera, "keys", "list", "--config", path], capture_output=True,
                           text=True, env=env, timeout=60)
        out = r.stdout + r.stderr
        if "[kek_invalid]" in out or "[store_failure]" in out:
            print(f"{f}: {cname}: hub.yaml: tessera validated it (then stopped at: {out.strip()})")
        else:
            fail(f"{f}: {cname}: hub.yaml does not validate: {out.strip()}")


def check_hub_yaml(f, cname, config):
    check_hub_yaml_with_tessera(f, cname, config)
    fields = hub_fields(ROOT)
    maps = {x.rsplit(".", 1)[0] for x in fields if "." in x}
    maps |= {p.rsplit(".", i)[0] for p in maps for i in range(1, p.count(".") + 1)}

    def walk(node, prefix):
        for k, v in node.items():
            path = f"{prefix}{k}"
            if path in fields:
                continue
            if isinstance(v, dict) and path in maps:
                walk(v, path + ".")
            else:
                fail(f"{f}: {cname}: hub.yaml field {path} is not in docs/configuration.md")

    walk(config, "")
    print(f"{f}: {cname}: hub.yaml: every field is in docs/configuration.md")


REQUIRED_SYSTEMD = {
    "DynamicUser": "yes", "NoNewPrivileges": "yes", "CapabilityBoundingSet": "",
    "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
    "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes", "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes",
    "Restart": "on-failure",
}


def check_systemd(root):
    sdir = os.path.join(root, "deploy", "systemd")
    units = {"hub": "tessera-hub.service", "edge": "tessera-edge.service"}
    for role, unit in units.items():
        path = os.path.join(sdir, unit)
        parser = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
        parser.optionxform = str
        # Repeated keys (LoadCredential=, SystemCallFilter=) are legal in units: keep every value.
        values = {}
        section = None
        with open(path) as fh:
            for line in fh:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("["):
                    section = line.strip("[]")
                    continue
                k, _, v = line.partition("=")
                values.setdefault((section, k), []).append(v)
        for k, want in REQUIRED_SYSTEMD.items():
            got = values.get(("Service", k))
            if got is None or want not in got:
                fail(f"{unit}: [Service] {k}={want} is missing (got {got})")
        if "@system-service" not in values.get(("Service", "SystemCallFilter"), []):
            fail(f"{unit}: SystemCallFilter=@system-service is missing")
        exec_start = values.get(("Service", "ExecStart"), [""])[0].split()
        want = ["/usr/local/bin/tessera", role, "--config", f"/etc/tessera/{role}.yaml"]
        if exec_start != want:
            fail(f"{unit}: ExecStart is {exec_start}, expected {want}")
        if not os.path.exists(os.path.join(root, "examples", f"{role}.yaml")):
            fail(f"{unit}: examples/{role}.yaml (the model of its --config) does not exist")
        creds = values.get(("Service", "LoadCredential"), [])
        if role == "hub":
            if not any(c.startswith("kek:") for c in creds):
                fail(f"{unit}: the KEK is not a LoadCredential=")
            if values.get(("Service", "StateDirectory")) != ["tessera"]:
                fail(f"{unit}: StateDirectory=tessera is missing (the SQLite store)")
            if "/var/lib/tessera" not in values.get(("Service", "ReadWritePaths"), []):
                fail(f"{unit}: ReadWritePaths=/var/lib/tessera is missing")
        with open(os.path.join(sdir, "README.md")) as fh:
            readme = fh.read()
        for c in creds:
            name = c.split(":", 1)[0]
            if f"/run/credentials/{unit}/{name}" not in readme:
                fail(f"{unit}: README.md does not say which field names credential {name}")

    # The unit's configuration files: valid, and every credential path names a LoadCredential=.
    import yaml
    loaded = {}
    for role, unit in units.items():
        with open(os.path.join(sdir, unit)) as fh:
            creds = [line.split("=", 1)[1].split(":", 1)[0] for line in fh
                     if line.startswith("LoadCredential=")]
        path = os.path.join(sdir, f"{role}.yaml")
        with open(path) as fh:
            text = fh.read()
        for name in re.findall(rf"/run/credentials/{re.escape(unit)}/([A-Za-z0-9._-]+)", text):
            if name not in creds:
                fail(f"{role}.yaml names credential {name}, which {unit} does not load")
        for name in creds:
            if f"/run/credentials/{unit}/{name}" not in text:
                fail(f"{unit} loads credential {name}, which {role}.yaml does not use")
        loaded[role] = (path, text)
    check_hub_yaml("deploy/systemd/hub.yaml", "tessera-hub.service", yaml.safe_load(loaded["hub"][1]))
    sqlite = yaml.safe_load(loaded["hub"][1]).get("store", {}).get("sqlite", {}).get("path", "")
    if not sqlite.startswith("/var/lib/tessera/"):
        fail("deploy/systemd/hub.yaml: store.sqlite.path is not in the StateDirectory")
    check_edge_yaml("deploy/systemd/edge.yaml", "tessera-edge.service", loaded["edge"][1])

    analyze = shutil_which("systemd-analyze")
    if not analyze:
        print("systemd-analyze is not installed: verify skipped, the static checks ran")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # verify wants an executable at the ExecStart path; which one does not matter to it.
        binary = os.environ.get("TESSERA_BIN", "")
        if not os.access(binary, os.X_OK):
            binary = "/bin/true"
        paths = []
        for unit in units.values():
            with open(os.path.join(sdir, unit)) as fh:
                text = fh.read().replace("/usr/local/bin/tessera", binary)
            p = os.path.join(tmp, unit)
            with open(p, "w") as out:
                out.write(text)
            paths.append(p)
        r = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True)
        out = (r.stdout + r.stderr).strip()
        if r.returncode != 0 or out:
            fail(f"systemd-analyze verify: exit {r.returncode}: {out}")
        else:
            print("systemd-analyze verify: both units are clean")


def dockerfile_stages(text):
    """{stage alias: set of packages its `apt-get install` lines name}."""
    stages, current = {}, None
    for line in text.replace("\\\n", " ").splitlines():
        m = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line.strip(), re.I)
        if m:
            current = m.group(1) or "runtime"
            stages[current] = set()
        elif current and "apt-get install" in line:
            words = line.split("apt-get install", 1)[1].split("&&")[0].split()
            stages[current] |= {w for w in words if not w.startswith("-")}
    return stages


def package_of(path):
    r = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return r.stdout.split(":", 1)[0].split(",")[0].strip()


def check_dockerfile(root):
    stages = dockerfile_stages(open(os.path.join(root, "Dockerfile")).read())
    build, runtime = stages.get("build", set()), stages.get("runtime", set())
    if not build or not runtime:
        fail(f"Dockerfile: expected a `build` stage and a runtime stage, found {sorted(stages)}")
        return
    base = {"libc6", "libstdc++6", "libgcc-s1"}  # in debian:12-slim
    for var in ("TESSERA_BIN", "TESSERA_EDGE_BIN"):
        binary = os.environ.get(var)
        if not binary:
            fail(f"{var} is not set")
            continue
        dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True).stdout
        needed = re.findall(r"\(NEEDED\).*\[(.*)\]", dynamic)
        if not needed:
            fail(f"{binary}: no NEEDED entries (not a dynamic executable?)")
        for lib in needed:
            # dpkg knows a file by the path its package installed it at (/lib or /usr/lib).
            runtime_pkg = next((p for p in (package_of(d + lib) for d in (
                "/usr/lib/x86_64-linux-gnu/", "/lib/x86_64-linux-gnu/", "/lib64/")) if p), None)
            if runtime_pkg is None:
                fail(f"{binary} needs {lib}, which no installed package holds")
                continue
            if runtime_pkg in base:
                continue
            if runtime_pkg not in runtime:
                fail(f"Dockerfile: the runtime stage lacks {runtime_pkg} ({lib}, needed by "
                     f"{os.path.basename(binary)})")
            dev = package_of("/usr/lib/x86_64-linux-gnu/" + lib.split(".so")[0] + ".so")
            if dev is not None and dev not in build:
                fail(f"Dockerfile: the build stage lacks {dev} (links {lib})")
    print(f"Dockerfile: build stage {len(build)} packages, runtime stage {len(runtime)}; checked "
          "against the binaries' shared libraries")


def shutil_which(name):
    import shutil
    return shutil.which(name)


if __name__ == "__main__":
    checks = {"kubernetes": check_kubernetes, "systemd": check_systemd,
              "dockerfile": check_dockerfile}
    if len(sys.argv) != 3 or sys.argv[1] not in checks:
        sys.exit(__doc__)
    ROOT = os.path.abspath(sys.argv[2])
    checks[sys.argv[1]](ROOT)
    for e in errors:
        print("FAIL:", e)
    if errors:
        sys.exit(1)
    print(f"deploy/{sys.argv[1]}: all checks passed")
